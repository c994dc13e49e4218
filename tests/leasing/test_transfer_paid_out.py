"""Issue #18: handing on days already paid out to the owner. The receiver's payment pays the
transferring exporter back (less the transfer fee); the owner's payouts do not change; the ledger
balances and reconciles; offers lapse when their first day passes or their figures change."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from common.money import format_money
from escrow import ledger
from escrow.choices import RefundStatus
from escrow.models import Payout, Refund
from escrow.reconcile import escrow_reconcile_all
from leasing import core, rules, services, transfers
from leasing.choices import InstalmentStatus, TransferState
from leasing.choices import LeaseState as S
from leasing.exceptions import TransferNotOpen
from leasing.models import Lease, LeaseTransfer
from leasing.selectors import lease_breakdown
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.warehouses.factories import days_from_now

from .factories import Parties

pytestmark = pytest.mark.django_db


def receiver():
    organisation = ExporterOrganisationFactory()
    return organisation, member_of(organisation)


def owner_paid(p: Parties) -> Decimal:
    return Payout.objects.filter(organisation=p.owner_org).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def short_active(p: Parties, *, quantity: int = 4) -> Lease:
    """A 20-day lease, checked in and confirmed: its one instalment is released to the owner."""
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(20), quantity=quantity)
    assert list(lease.instalments.values_list("status", flat=True)) == [InstalmentStatus.RELEASED]
    return lease


def hand_on(p: Parties, lease: Lease, *, quantity: int, start, price: Decimal, capture) -> tuple[LeaseTransfer, Lease]:
    org, user = receiver()
    with capture(execute=True):
        transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=quantity, start=start, price=price)
        transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    assert transfer.state == TransferState.APPROVED  # the listing allows transfers; the owner loses nothing
    with capture(execute=True):
        services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    transfer.refresh_from_db()
    return transfer, Lease.objects.get(pk=transfer.new_lease_id)


def test_a_20_day_active_lease_is_handed_on_and_the_receiver_pays_the_exporter_back(
    django_capture_on_commit_callbacks,
):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    paid_before = owner_paid(p)
    assert paid_before == lease.owner_amount
    start = lease.start + timedelta(days=5)  # 15 of the 20 days, all 4 units
    quote = transfers.transfer_value(lease, quantity=4, start=start)
    released = lease.instalments.get()
    assert quote.held == 0
    assert quote.paid == (released.gross * 60 / 80).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert quote.fee == (quote.paid * Decimal("0.02")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")

    transfer, new_lease = hand_on(
        p, lease, quantity=4, start=start, price=quote.cost, capture=django_capture_on_commit_callbacks
    )

    lease.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    assert (transfer.value, transfer.refund, transfer.fee) == (quote.value, quote.refund, quote.fee)
    refund = Refund.objects.get(escrow=lease.escrow)
    assert (refund.amount, refund.status, refund.organisation) == (quote.refund, RefundStatus.SUCCEEDED, p.exporter_org)
    assert owner_paid(p) == paid_before  # the owner's money does not move
    assert (lease.state, new_lease.state) == (S.TRANSFERRED, S.ACTIVE)
    assert core.held_on(lease, start - timedelta(days=1)) == 4
    assert core.held_on(new_lease, start) == 4
    # the whole price pays the exporter back: nothing of it is the owner's, nothing stays in escrow
    assert (new_lease.total, new_lease.storage_amount, new_lease.platform_fee) == (quote.cost, 0, 0)
    assert transfers.receiver_carry(new_lease) == quote.carry == quote.paid
    assert ledger.escrow_held(lease.escrow) == ledger.escrow_held(new_lease.escrow) == 0
    assert -ledger.account_balance(ledger.TRANSFER_FEE, "EUR") == quote.fee  # revenue: a credit
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}
    assert escrow_reconcile_all() == []


def test_a_price_above_what_the_days_cost_is_the_receivers_lease_paid_to_the_owner(
    django_capture_on_commit_callbacks,
):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    paid_before = owner_paid(p)
    start = lease.start + timedelta(days=10)
    quote = transfers.transfer_value(lease, quantity=2, start=start, price=quote_price(lease, start) + 30)
    transfer, new_lease = hand_on(
        p, lease, quantity=2, start=start, price=quote.cost + 30, capture=django_capture_on_commit_callbacks
    )
    lease.refresh_from_db()
    assert transfer.refund == quote.refund == quote.paid - quote.fee
    assert lease.state == S.ACTIVE  # two units stay with the original exporter
    assert new_lease.storage_amount + new_lease.platform_fee == Decimal(30)
    # the extra 30 is the receiver's own lease, released to the owner (less the platform fee) as its days begin
    assert owner_paid(p) == paid_before
    assert ledger.escrow_held(new_lease.escrow) == sum(i.gross for i in new_lease.instalments.all()) == Decimal(30)
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}
    assert escrow_reconcile_all() == []


def quote_price(lease: Lease, start) -> Decimal:
    return transfers.transfer_value(lease, quantity=2, start=start).cost


def test_a_price_below_what_the_days_cost_is_all_the_exporter_gets_back(django_capture_on_commit_callbacks):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    start = lease.start + timedelta(days=2)
    price = Decimal("10.00")
    quote = transfers.transfer_value(lease, quantity=1, start=start, price=price)
    assert quote.carry == price < quote.paid
    transfer, new_lease = hand_on(
        p, lease, quantity=1, start=start, price=price, capture=django_capture_on_commit_callbacks
    )
    assert transfer.refund == quote.refund == price - quote.fee
    assert new_lease.storage_amount == new_lease.platform_fee == 0
    assert escrow_reconcile_all() == []


def test_days_partly_paid_out_and_partly_in_escrow_are_paid_back_from_both(django_capture_on_commit_callbacks):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(60), quantity=3)
    first, second = lease.instalments.order_by("sequence")
    assert (first.status, second.status) == (InstalmentStatus.RELEASED, InstalmentStatus.SCHEDULED)
    paid_before = owner_paid(p)
    start = first.end - timedelta(days=4)  # the last 5 days of the first month, and all the second
    quote = transfers.transfer_value(lease, quantity=3, start=start)
    assert quote.paid > 0
    assert quote.held == second.gross
    transfer, new_lease = hand_on(
        p, lease, quantity=3, start=start, price=quote.cost, capture=django_capture_on_commit_callbacks
    )
    lease.refresh_from_db()
    assert transfer.refund == quote.refund == quote.held + quote.paid - quote.fee
    assert Refund.objects.get(escrow=lease.escrow).amount == quote.refund
    assert lease.state == S.TRANSFERRED
    # the receiver's lease is what escrow held for the second month: the owner is paid that instead
    assert new_lease.storage_amount + new_lease.platform_fee == quote.held
    assert owner_paid(p) == paid_before  # the receiver's lease is released to the owner as its days begin
    assert ledger.escrow_held(new_lease.escrow) == quote.held
    assert ledger.escrow_held(lease.escrow) == 0
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}
    assert escrow_reconcile_all() == []


# --- Lapsing and the figures checked again -------------------------------------------------------


def test_an_offer_lapses_when_its_first_day_passes(clock):
    p = Parties(transfers_need_consent=False)
    lease = short_active(p)
    clock.advance(days=3)
    start = core.lease_today(lease)
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=start, price=Decimal(5))
    org, user = receiver()
    clock.advance(days=1)
    assert not rules.transfer_take(transfer, org.pk)  # the page no longer offers it
    with pytest.raises(TransferNotOpen, match="lapsed"):
        transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.LAPSED  # committed, although the accept was refused
    assert "has passed" in lease.events.order_by("-pk").first().note


def test_the_sweep_lapses_offers_whose_first_day_passed(clock):
    p = Parties()
    lease = short_active(p)
    start = core.lease_today(lease) + timedelta(days=2)
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=start, price=Decimal(5))
    assert transfers.transfers_lapse_due() == 0
    clock.advance(days=2)
    assert transfers.transfers_lapse_due() == 0  # its first day is today: still open
    clock.advance(days=1)
    assert transfers.transfers_lapse_due() == 1
    transfer.refresh_from_db()
    assert transfer.state == TransferState.LAPSED


def test_accepting_checks_the_figures_again_and_refuses_changed_ones(settings):
    p = Parties(transfers_need_consent=False)
    lease = short_active(p)
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=2, start=lease.start + timedelta(days=3), price=Decimal(50)
    )
    settings.WARESHARE = {**settings.WARESHARE, "TRANSFER_FEE_PERCENT": Decimal("5.00")}
    org, user = receiver()
    with pytest.raises(TransferNotOpen):
        transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.LAPSED
    assert "not the" in lease.events.order_by("-pk").first().note  # what it would refund now, not what was offered


def test_days_released_between_approval_and_payment_unwind_the_transfer(django_capture_on_commit_callbacks):
    """Offered on a paid lease before check-in (all in escrow); the check-in is confirmed (the
    instalment released) before the receiver pays: the receiver is refunded in full."""
    p = Parties(transfers_need_consent=False)
    lease = p.lease_in(S.FUNDED, start=days_from_now(1), end=days_from_now(20), quantity=2)
    quote = transfers.transfer_value(lease, quantity=1, start=lease.start + timedelta(days=5))
    org, user = receiver()
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=1, start=lease.start + timedelta(days=5), price=quote.cost
    )
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    assert transfer.new_lease.storage_amount + transfer.new_lease.platform_fee == quote.cost  # all in escrow
    p.check_in(lease)
    p.confirm(lease)
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    transfer.refresh_from_db()
    new_lease = Lease.objects.get(pk=transfer.new_lease_id)
    assert (transfer.state, new_lease.state) == (TransferState.LAPSED, S.CANCELLED)
    assert Refund.objects.get(escrow=new_lease.escrow).amount == new_lease.total
    assert core.held_on(Lease.objects.get(pk=lease.pk), transfer.start) == 2
    assert escrow_reconcile_all() == []


# --- The receiver's breakdown multiplies out -----------------------------------------------------


def test_the_receivers_breakdown_multiplies_out_exactly():
    p = Parties(transfers_need_consent=False)
    lease = p.lease_in(S.FUNDED, start=days_from_now(1), end=days_from_now(20), quantity=3)
    org, user = receiver()
    start = lease.start + timedelta(days=13)  # 7 days × 3 units
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=3, start=start, price=Decimal("100.00"))
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
    b = lease_breakdown(transfer.new_lease)
    assert b.quantity * b.days * b.unit_price + b.remainder == b.storage
    assert b.remainder != 0  # 100 less the platform fee does not divide by 21 unit-days
    assert b.total == Decimal("100.00")


# --- Through the pages: the refund shown is the refund made ---------------------------------------


def _you_get_back(page: str) -> str:
    match = re.search(r'You get back</td><td class="amount">([^<]+)</td>', page)
    assert match, "the page shows what comes back"
    return match.group(1)


def test_the_offer_pages_show_the_refund_that_is_made(client, django_capture_on_commit_callbacks):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    org, user = receiver()
    start = lease.start + timedelta(days=7)
    price = Decimal("40.00")  # below what the exporter paid for these days
    data = {"to_organisation": str(org.pk), "quantity": "3", "start": start.isoformat(), "price": str(price)}
    data |= {"goods": "carry", "message": ""}
    client.force_login(p.exporter)
    create = reverse("leasing:transfer_create", args=[lease.pk])
    form_page = client.get(create, {"quantity": 3, "start": start.isoformat(), "price": str(price)}).content.decode()
    confirm_page = client.post(create, data).content.decode()
    shown = _you_get_back(confirm_page)
    assert _you_get_back(form_page) == shown
    assert "paid back from the receiver" in confirm_page
    client.post(create, {**data, "confirm": "1"})
    transfer = LeaseTransfer.objects.get()
    assert _you_get_back(client.get(reverse("leasing:transfer_detail", args=[transfer.pk])).content.decode()) == shown

    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=org)
        services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    refund = Refund.objects.get(escrow=lease.escrow)
    assert format_money(refund.amount, "EUR") == shown

    client.force_login(user)
    receiver_page = client.get(reverse("leasing:lease_detail", args=[transfer.new_lease_id])).content.decode()
    assert "Paid back to the transferring exporter for days already paid out to the owner" in receiver_page
    assert format_money(price, "EUR") in receiver_page


def test_a_receiver_hands_the_days_on_again_and_is_paid_back_what_it_paid(django_capture_on_commit_callbacks):
    p = Parties(transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    start = lease.start + timedelta(days=5)
    quote = transfers.transfer_value(lease, quantity=4, start=start)
    _first, second = hand_on(
        p, lease, quantity=4, start=start, price=quote.cost, capture=django_capture_on_commit_callbacks
    )
    assert second.storage_amount == 0  # all of its price paid the first exporter back

    again = transfers.transfer_value(second, quantity=4, start=start + timedelta(days=3))
    share = (quote.cost * 12 / 15).quantize(Decimal("0.01"), rounding="ROUND_DOWN")  # 12 of its 15 days
    assert (again.held, again.paid) == (0, share)
    org, user = receiver()
    with django_capture_on_commit_callbacks(execute=True):
        onward = transfers.transfer_offer(
            lease=second, by=member_of(second.exporter), quantity=4, start=start + timedelta(days=3), price=again.cost
        )
        onward = transfers.transfer_accept(transfer=onward, by=user, organisation=org)
        services.lease_pay(lease=onward.new_lease, by=user, payment_method="pm_card_visa")
    onward.refresh_from_db()
    assert onward.state == TransferState.COMPLETED
    assert Refund.objects.get(escrow=second.escrow).amount == again.refund  # to the card that paid `second`
    assert ledger.escrow_held(second.escrow) == 0
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}
    assert escrow_reconcile_all() == []


def test_the_worked_example_of_docs_money(django_capture_on_commit_callbacks):
    """docs/money.md, Transfer: 4 units × 20 days at 2.00, handed on from day 6 (60 of 80 unit-days)."""
    p = Parties(
        transfers_need_consent=False,
        price_per_unit_day=Decimal("2.00"),
        handling_in_fee=Decimal(0),
        handling_out_fee=Decimal(0),
    )
    with django_capture_on_commit_callbacks(execute=True):
        lease = short_active(p)
    assert (lease.storage_amount, lease.platform_fee, lease.total) == (Decimal("160.00"), Decimal("8.00"), 168)
    start = lease.start + timedelta(days=5)
    quote = transfers.transfer_value(lease, quantity=4, start=start)
    assert (quote.paid, quote.cost, quote.fee, quote.refund) == (126, 126, Decimal("2.52"), Decimal("123.48"))
    higher = transfers.transfer_value(lease, quantity=4, start=start, price=Decimal(150))
    assert (higher.refund, higher.owner_share(Decimal(150))) == (Decimal("123.48"), 24)
    lower = transfers.transfer_value(lease, quantity=4, start=start, price=Decimal(100))
    assert (lower.carry, lower.fee, lower.refund) == (100, 2, 98)
    _transfer, new_lease = hand_on(
        p, lease, quantity=4, start=start, price=Decimal(150), capture=django_capture_on_commit_callbacks
    )
    assert (new_lease.platform_fee, new_lease.storage_amount) == (Decimal("1.14"), Decimal("22.86"))
    assert owner_paid(p) == Decimal("160.00")
