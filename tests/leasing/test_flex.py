"""Issue #7 through the services: release schedules, cancellation policies, extensions, partial
check-in and transfers, each checked against the ledger and the calendar."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from escrow import ledger
from escrow.models import Payout, Refund
from leasing import core, schedule, services, transfers
from leasing.choices import InstalmentStatus, TransferState
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidExtension, InvalidTransfer, InvalidTransition, RefundChanged, TransferNotOpen
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.warehouses.factories import days_from_now
from warehouses.exceptions import CapacityUnavailable
from warehouses.models import CalendarDay

from .factories import Parties

pytestmark = pytest.mark.django_db


def reserved(listing, day: date) -> int:
    return CalendarDay.objects.get(listing=listing, day=day).reserved


def held(lease: Lease) -> Decimal:
    return ledger.escrow_held(lease.escrow)


def run_sweeps() -> None:
    services.leases_release_due()
    services.leases_complete()


# --- The schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 1, 31), 2, date(2027, 3, 31)),
        (date(2027, 11, 15), 3, date(2028, 2, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, expected):
    assert schedule.add_months(start, months) == expected


def test_up_to_30_days_is_one_period_and_longer_leases_go_month_by_month():
    assert schedule.periods(date(2027, 3, 1), date(2027, 3, 30)) == [(date(2027, 3, 1), date(2027, 3, 30))]
    assert schedule.periods(date(2027, 1, 31), date(2027, 4, 10)) == [
        (date(2027, 1, 31), date(2027, 2, 27)),
        (date(2027, 2, 28), date(2027, 3, 30)),
        (date(2027, 3, 31), date(2027, 4, 10)),
    ]


@pytest.mark.parametrize(
    ("whole", "weights", "currency", "expected"),
    [
        (Decimal("100.00"), [1, 1, 1], "EUR", [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]),
        (Decimal("100"), [1, 1, 1], "JPY", [Decimal("33"), Decimal("33"), Decimal("34")]),
        (Decimal("0.05"), [30, 31, 9], "EUR", [Decimal("0.02"), Decimal("0.02"), Decimal("0.01")]),
    ],
)
def test_shares_round_down_and_add_up_to_the_whole(whole, weights, currency, expected):
    assert schedule.shares(whole, weights, currency) == expected
    assert sum(expected) == whole


def test_instalments_add_up_to_the_total_with_handling_in_first_and_out_last():
    p = Parties(price_per_unit_day=Decimal("1.37"), handling_in_fee=Decimal("4.10"), handling_out_fee=Decimal("2.20"))
    lease = p.lease_in(S.FUNDED, start=days_from_now(5), end=days_from_now(94), quantity=3)
    instalments = list(lease.instalments.all())
    assert len(instalments) == 3
    assert sum(i.amount + i.fee for i in instalments) == lease.total
    assert sum(i.fee for i in instalments) == lease.platform_fee
    assert sum(i.unit_days for i in instalments) == 3 * lease.days
    assert instalments[0].start == lease.start
    assert instalments[-1].end == lease.end


# --- Monthly release ------------------------------------------------------------------------


def test_a_long_lease_is_released_month_by_month_after_confirmation(clock):
    p = Parties()
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(75), quantity=2)
    first, second, third = lease.instalments.all()
    assert first.status == InstalmentStatus.RELEASED
    assert (second.status, third.status) == (InstalmentStatus.SCHEDULED, InstalmentStatus.SCHEDULED)
    assert held(lease) == second.gross + third.gross

    clock.now = clock.now + timedelta(days=(second.start - days_from_now(0)).days)
    assert services.leases_release_due() == 1
    assert services.leases_release_due() == 0  # idempotent
    second.refresh_from_db()
    assert second.status == InstalmentStatus.RELEASED
    assert held(lease) == third.gross

    clock.advance(days=80)
    run_sweeps()
    lease.refresh_from_db()
    assert lease.state == S.COMPLETED
    assert held(lease) == 0
    assert list(Payout.objects.filter(escrow=lease.escrow).values_list("sequence", flat=True)) == [1, 2, 3]
    assert sum(Payout.objects.filter(escrow=lease.escrow).values_list("amount", flat=True)) == lease.owner_amount


def test_a_short_lease_is_released_whole_on_confirmation():
    p = Parties()
    lease = p.lease_in(S.ACTIVE)
    assert held(lease) == 0
    assert Payout.objects.get(escrow=lease.escrow).amount == lease.owner_amount


# --- Cancellation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "days_before", "percent"),
    [
        ("flexible", 2, 100),
        ("flexible", 0, 0),
        ("moderate", 8, 100),
        ("moderate", 3, 50),
        ("strict", 15, 50),
        ("strict", 13, 0),
    ],
)
def test_the_exporter_cancelling_a_paid_lease_is_refunded_by_the_policy(policy, days_before, percent):
    p = Parties(cancellation_policy=policy, price_per_unit_day=Decimal("1.33"))
    lease = p.lease_in(S.FUNDED, start=days_from_now(days_before), end=days_from_now(days_before + 9), quantity=3)
    quote = services.lease_cancel_quote(lease=lease, side="exporter")
    assert [line.percent for line in quote.lines] == [percent]
    assert quote.held == lease.total
    services.lease_cancel(lease=lease, by=p.exporter, side="exporter", expected_refund=quote.refund)
    lease.refresh_from_db()
    assert lease.state == S.CANCELLED
    assert quote.refund == (lease.total * percent / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    refund = Refund.objects.filter(escrow=lease.escrow).first()
    assert (refund.amount if refund else Decimal(0)) == quote.refund
    owner_paid = sum(Payout.objects.filter(escrow=lease.escrow).values_list("amount", flat=True))
    assert owner_paid == quote.owner
    assert held(lease) == 0
    assert reserved(p.listing, lease.start) == 0


def test_a_refund_that_changed_since_it_was_shown_is_refused_and_nothing_moves(clock):
    p = Parties(cancellation_policy="moderate")
    lease = p.lease_in(S.FUNDED, start=days_from_now(8), end=days_from_now(20))
    shown = services.lease_cancel_quote(lease=lease, side="exporter").refund
    clock.advance(days=2)  # now within 7 days of the start: 50%
    with pytest.raises(RefundChanged):
        services.lease_cancel(lease=lease, by=p.exporter, side="exporter", expected_refund=shown)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert held(lease) == lease.total


def test_the_owner_cancelling_before_the_start_refunds_everything_and_counts_against_it():
    p = Parties(cancellation_policy="strict")
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(60))
    quote = services.lease_cancel_quote(lease=lease, side="owner")
    assert quote.refund == lease.total
    services.lease_cancel(lease=lease, by=p.owner, side="owner", expected_refund=quote.refund)
    lease.refresh_from_db()
    assert (lease.state, lease.cancelled_by) == (S.CANCELLED, "owner")
    assert Refund.objects.get(escrow=lease.escrow).amount == lease.total
    from trust.rating import history_of

    assert history_of(p.owner_org).owner_cancellations == 1
    assert history_of(p.exporter_org).no_shows == 0


def test_the_owner_cannot_cancel_once_the_lease_started_nor_the_exporter_while_checked_in():
    p = Parties()
    lease = p.lease_in(S.FUNDED, start=days_from_now(0), end=days_from_now(9))
    with pytest.raises(InvalidTransition):
        services.lease_cancel(lease=lease, by=p.owner, side="owner")
    checked_in = p.lease_in(S.CHECKED_IN)
    with pytest.raises(InvalidTransition):
        services.lease_cancel(lease=checked_in, by=p.exporter, side="exporter")


def test_cancelling_an_active_long_lease_refunds_unreleased_months_and_keeps_the_paid_days(clock):
    p = Parties(cancellation_policy="moderate")
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=2)
    first = lease.instalments.get(sequence=1)
    later = list(lease.instalments.filter(sequence__gt=1))
    quote = services.lease_cancel_quote(lease=lease, side="exporter")
    assert [line.percent for line in quote.lines] == [100] * len(later)  # each month starts > 7 days away
    assert quote.held == sum(i.gross for i in later)
    services.lease_cancel(lease=lease, by=p.exporter, side="exporter", expected_refund=quote.refund)
    assert held(lease) == 0
    assert reserved(p.listing, first.end) == 2  # the released month stays held for the goods
    assert reserved(p.listing, first.end + timedelta(days=1)) == 0


# --- Extension ----------------------------------------------------------------------------


def test_an_extension_holds_capacity_is_accepted_paid_and_active_at_once():
    p = Parties(capacity=4)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    assert (extension.start, extension.quantity, extension.parent) == (days_from_now(11), 3, lease)
    assert extension.handling_in_amount == extension.handling_out_amount == 0
    assert reserved(p.listing, days_from_now(15)) == 3
    with pytest.raises(InvalidExtension):
        services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(25))  # one at a time
    p.accept(extension)
    p.pay(extension)
    extension.refresh_from_db()
    assert extension.state == S.ACTIVE
    assert held(extension) == extension.total  # released when its month begins


def test_an_extension_needs_free_capacity():
    p = Parties(capacity=4)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    Parties(listing=p.listing).lease_in(S.FUNDED, start=days_from_now(11), end=days_from_now(12), quantity=2)
    with pytest.raises(CapacityUnavailable):
        services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(12))
    assert lease.children.count() == 0


# --- Partial check-in -----------------------------------------------------------------------


def _arrive(p: Parties, lease: Lease):
    shipment = p.walker.announce(lease)
    services.shipment_mark(shipment=shipment, by=p.owner, status="arrived")
    return shipment


def _check_in(p: Parties, shipment, short: int = 0):
    received = {line.pk: line.quantity for line in shipment.lines.all()}
    return services.checkin_record(shipment=shipment, by=p.owner, received=received)


def test_release_waits_for_every_shipment_or_the_exporter_confirming_what_arrived():
    p = Parties()
    lease = p.lease_in(S.FUNDED)
    first, second = _arrive(p, lease), p.walker.announce(lease)
    _check_in(p, first)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert services.lease_confirmable(lease)
    services.shipment_mark(shipment=second, by=p.owner, status="arrived")
    _check_in(p, second)
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN


def test_the_exporter_confirms_what_arrived_and_a_late_part_is_still_recorded():
    p = Parties()
    lease = p.lease_in(S.FUNDED)
    first, late = _arrive(p, lease), p.walker.announce(lease)
    _check_in(p, first)
    services.lease_confirm(lease=lease, by=p.exporter)
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    assert held(lease) == 0
    services.shipment_mark(shipment=late, by=p.owner, status="arrived")
    _check_in(p, late)
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    assert late.checkin.received_total == 50


# --- Transfers ----------------------------------------------------------------------------


def receiver_of(p: Parties):
    organisation = ExporterOrganisationFactory()
    return organisation, member_of(organisation)


def test_a_transfer_moves_capacity_and_money_and_the_receiver_continues():
    p = Parties(capacity=10, transfers_need_consent=True)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=4)
    org, user = receiver_of(p)
    assert transfers.transfer_earliest(lease) == lease.start  # days already paid out can be handed on too
    start = lease.instalments.get(sequence=2).start  # here: from the first month still in escrow
    value = transfers.transfer_value(lease, quantity=4, start=start)
    assert (value.paid, value.carry) == (0, 0)
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=4, start=start, price=Decimal("150.00"), to_organisation=org
    )
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    assert transfer.state == TransferState.ACCEPTED
    transfer = transfers.transfer_consent(transfer=transfer, by=p.owner, approve=True)
    new_lease = transfer.new_lease
    assert (new_lease.state, new_lease.total, new_lease.exporter) == (S.ACCEPTED, Decimal("150.00"), org)
    assert reserved(p.listing, start) == 4  # not double-counted while the receiver pays
    held_before = held(lease)

    services.lease_pay(lease=new_lease, by=user, payment_method="pm_card_visa")
    lease.refresh_from_db()
    new_lease.refresh_from_db()
    transfer.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    assert lease.state == S.TRANSFERRED  # the whole rest was handed on
    assert new_lease.state == S.ACTIVE  # the goods stayed: the check-in carries over
    assert reserved(p.listing, start) == 4
    assert reserved(p.listing, start - timedelta(days=1)) == 4
    assert transfer.value == value.value == held_before
    assert Refund.objects.get(escrow=lease.escrow).amount == value.refund
    assert held(lease) == 0
    assert value.fee == (value.value * Decimal("0.02")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    steps = [event.note for event in lease.events.all()] + [event.note for event in new_lease.events.all()]
    assert any("transferred to" in note for note in steps)
    assert any("Transfer from lease" in note for note in steps)


def test_a_partial_transfer_leaves_the_rest_with_the_original_lease():
    p = Parties(capacity=10, transfers_need_consent=False)
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(22), quantity=4)
    org, user = receiver_of(p)
    start = days_from_now(10)
    price = transfers.transfer_value(lease, quantity=1, start=start).value  # what escrow holds for it
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=start, price=price)
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    assert transfer.state == TransferState.APPROVED  # no consent needed on this listing
    services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert core.held_on(lease, start - timedelta(days=1)) == 4
    assert core.held_on(lease, start) == 3
    assert reserved(p.listing, start) == 4
    assert held(lease) == lease.total - Refund.objects.get(escrow=lease.escrow).amount - transfer_fee(lease)
    # the rest of the original lease runs to completion and releases exactly what is held
    p.walker.check_in(lease)
    p.confirm(lease)
    assert held(lease) == 0


def transfer_fee(lease: Lease) -> Decimal:
    return lease.transfers.get().fee


def test_transfer_terms_are_checked():
    p = Parties()
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=2)
    with pytest.raises(InvalidTransfer):  # before the lease's first day
        transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=days_from_now(0), price=Decimal(1))
    start = transfers.transfer_earliest(lease)
    with pytest.raises(InvalidTransfer):
        transfers.transfer_offer(lease=lease, by=p.exporter, quantity=3, start=start, price=Decimal(1))
    with pytest.raises(InvalidTransfer):
        transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=start, price=Decimal("1.001"))
    assert not lease.transfers.exists()


def test_a_taken_offer_cannot_be_taken_again():
    p = Parties()
    lease = p.lease_in(S.FUNDED)
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=lease.start, price=Decimal(9))
    first, second = receiver_of(p), receiver_of(p)
    transfers.transfer_accept(transfer=transfer, by=first[1], organisation=first[0])
    with pytest.raises(TransferNotOpen):
        transfers.transfer_accept(transfer=transfer, by=second[1], organisation=second[0])


def test_cancelling_the_original_lapses_the_transfer_and_refunds_a_late_receiver_payment():
    p = Parties(transfers_need_consent=False, cancellation_policy="flexible")
    lease = p.lease_in(S.FUNDED, start=days_from_now(5), end=days_from_now(14), quantity=2)
    org, user = receiver_of(p)
    price = transfers.transfer_value(lease, quantity=2, start=lease.start).value
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=2, start=lease.start, price=price)
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    services.lease_cancel(lease=lease, by=p.exporter, side="exporter")
    transfer.refresh_from_db()
    new_lease = transfer.new_lease
    new_lease.refresh_from_db()
    assert (transfer.state, new_lease.state) == (TransferState.LAPSED, S.CANCELLED)
    with pytest.raises(InvalidTransition):
        services.lease_pay(lease=new_lease, by=user, payment_method="pm_card_visa")
    assert reserved(p.listing, lease.start) == 0


def test_an_unpaid_extension_is_cancelled_with_its_lease():
    p = Parties(capacity=4, cancellation_policy="flexible")
    lease = p.lease_in(S.ACTIVE, start=days_from_now(3), end=days_from_now(12), quantity=2)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    services.lease_cancel(lease=lease, by=p.exporter, side="exporter")
    extension.refresh_from_db()
    assert extension.state == S.CANCELLED
    assert reserved(p.listing, days_from_now(15)) == 0


def test_a_transfer_below_what_escrow_holds_needs_the_owner_even_where_the_listing_allows_transfers():
    p = Parties(transfers_need_consent=False)
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(22), quantity=2)
    value = transfers.transfer_value(lease, quantity=2, start=lease.start).value
    org, user = receiver_of(p)
    cheap = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=2, start=lease.start, price=value - 1)
    assert transfers.transfer_accept(transfer=cheap, by=user, organisation=org).state == TransferState.ACCEPTED


def test_a_paid_extension_is_extended_in_its_turn():
    p = Parties(capacity=4)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=1)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    p.accept(extension)
    p.pay(extension)
    with pytest.raises(InvalidExtension, match=f"#{extension.pk}"):
        services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(30))
    extension.refresh_from_db()
    assert services.lease_extend(lease=extension, by=p.exporter, end=days_from_now(30)).start == days_from_now(21)
