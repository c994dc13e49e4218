"""Acceptance 1 of #7: over random leases (dates, quantities, prices, currencies) and random
transfer, cancel, extend and time points, the money paid in always equals the money paid out,
refunded and kept as fees plus what escrow still holds — per lease and overall — and the
calendar's reserved units always equal the sum of the leases' live holds."""

import os
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common.exceptions import ApplicationError
from common.money import exponent
from escrow import ledger
from escrow.choices import PaymentStatus, PayoutStatus, RefundStatus
from escrow.gateways import gateway_for
from escrow.models import Escrow, LedgerEntry, Payment, Payout, Refund
from escrow.processor import payouts_retry, refunds_retry
from leasing import core, services, transfers
from leasing.choices import InstalmentStatus
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.warehouses.factories import days_from_now
from warehouses.models import CalendarDay, Reservation

from .factories import Parties

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=int(os.environ.get("FLEX_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FINAL = {S.COMPLETED, S.CANCELLED, S.TRANSFERRED, S.EXPIRED, S.DECLINED}
ACTIONS = ["advance", "check_in", "confirm", "cancel_exporter", "cancel_owner", "extend", "transfer", "transfer_unpaid"]


def minor(draw, currency: str, low: int, high: int) -> Decimal:
    return Decimal(draw(st.integers(low, high))).scaleb(-exponent(currency))


def sweep_all() -> None:
    services.leases_expire_holds()
    services.leases_expire_unpaid()
    services.leases_auto_confirm()
    services.leases_release_due()
    services.leases_complete()


def check_capacity(listing) -> None:
    """Every day's reserved units = the live holds covering it, and each live hold is a lease's."""
    live = list(Reservation.objects.filter(listing=listing, released_at=None).prefetch_related("leases"))
    assert all(len(r.leases.all()) == 1 for r in live), "a live hold belongs to exactly one lease"
    expected: Counter[date] = Counter()
    for r in live:
        day = r.start
        while day <= r.end:
            expected[day] += r.quantity
            day += timedelta(days=1)
    actual = {row.day: row.reserved for row in CalendarDay.objects.filter(listing=listing, reserved__gt=0)}
    assert actual == {day: units for day, units in expected.items() if units}


def money_of(escrow: Escrow) -> tuple[Decimal, Decimal]:
    """(paid in, paid out + refunded + fees + carried to another escrow + still held) for one lease's escrow."""
    paid_in = Payment.objects.filter(escrow=escrow, status=PaymentStatus.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    payouts = Payout.objects.filter(escrow=escrow).aggregate(s=Sum("amount"))["s"]
    refunds = Refund.objects.filter(escrow=escrow).aggregate(s=Sum("amount"))["s"]
    fees = LedgerEntry.objects.filter(
        posting__escrow=escrow, account__in=[ledger.PLATFORM_FEE, ledger.TRANSFER_FEE]
    ).aggregate(s=Sum("amount"))["s"]
    # a transfer of days already paid out moves the receiver's payment into the original escrow
    carried = LedgerEntry.objects.filter(account=escrow.account, posting__idempotency_key__endswith=":carry").aggregate(
        s=Sum("amount")
    )["s"]
    out = sum((Decimal(x or 0) for x in (payouts, refunds, carried)), Decimal(0)) - Decimal(fees or 0)
    return Decimal(paid_in or 0), out + ledger.escrow_held(escrow)


def check_money() -> None:
    assert all(total == 0 for total in ledger.ledger_totals().values()), "the ledger balances"
    for escrow in Escrow.objects.select_related("lease"):
        paid_in, accounted = money_of(escrow)
        assert paid_in == accounted, f"lease {escrow.lease_id}: in {paid_in}, out+held {accounted}"
        held = ledger.escrow_held(escrow)
        scheduled = sum(i.gross for i in escrow.lease.instalments.filter(status=InstalmentStatus.SCHEDULED))
        assert held == scheduled, f"lease {escrow.lease_id}: escrow holds {held}, schedule says {scheduled}"


@PROPERTY
@given(data=st.data())
def test_money_and_capacity_always_add_up(data, clock):
    with transaction.atomic():
        clock.now = clock.start  # every example starts at the same moment
        gateway_for("simulated").reset()  # ids are reused after the rollback: forget their answers
        cache.clear()
        run_example(data, clock)
        transaction.set_rollback(True)


def run_example(data, clock) -> None:
    draw = data.draw
    currency = draw(st.sampled_from(["EUR", "USD", "JPY"]))
    p = Parties(
        capacity=6,
        currency=currency,
        price_per_unit_day=minor(draw, currency, 1, 40_000),
        handling_in_fee=minor(draw, currency, 0, 3_000),
        handling_out_fee=minor(draw, currency, 0, 3_000),
        cancellation_policy=draw(st.sampled_from(["flexible", "moderate", "strict"])),
        transfers_need_consent=draw(st.booleans()),
    )
    receivers = [ExporterOrganisationFactory() for _ in range(2)]
    users = {org.pk: member_of(org) for org in receivers}
    users[p.exporter_org.pk] = p.exporter
    start = days_from_now(draw(st.integers(1, 20)))
    lease = p.request(
        start=start, end=start + timedelta(days=draw(st.integers(0, 100))), quantity=draw(st.integers(1, 4))
    )
    p.accept(lease)
    p.pay(lease)
    if draw(st.booleans()):  # start from an active lease half the time
        p.walker.check_in(lease)
        p.confirm(lease)

    def exporter_of(lease: Lease):
        return users[lease.exporter_id]

    def pay(lease: Lease) -> None:
        if lease.state == S.REQUESTED:
            services.lease_accept(lease=lease, by=p.owner)
        services.lease_pay(lease=lease, by=exporter_of(lease), payment_method="pm_card_visa")

    for _ in range(draw(st.integers(1, 10))):
        leases = list(Lease.objects.filter(listing=p.listing).order_by("pk"))
        lease = draw(st.sampled_from(leases))
        action = draw(st.sampled_from(ACTIONS))
        try:
            if action == "advance":
                clock.advance(days=draw(st.integers(1, 45)))
                sweep_all()
            elif action == "check_in" and lease.state == S.FUNDED:
                walker = services_walker(p, lease, exporter_of(lease))
                walker.check_in(lease)
            elif action == "confirm":
                services.lease_confirm(lease=lease, by=exporter_of(lease))
            elif action in ("cancel_exporter", "cancel_owner"):
                side = action.removeprefix("cancel_")
                by = exporter_of(lease) if side == "exporter" else p.owner
                quote = services.lease_cancel_quote(lease=lease, side=side)
                services.lease_cancel(lease=lease, by=by, side=side, expected_refund=quote.refund)
            elif action == "extend":
                end = lease.end + timedelta(days=draw(st.integers(1, 40)))
                pay(services.lease_extend(lease=lease, by=exporter_of(lease), end=end))
            elif action.startswith("transfer") and lease.state in transfers.TRANSFERABLE:
                earliest = transfers.transfer_earliest(lease)
                if earliest > lease.end:
                    continue  # everything is paid out already: nothing left to hand on
                first = earliest + timedelta(days=draw(st.integers(0, (lease.end - earliest).days)))
                units = core.held_on(lease, first)
                receiver = draw(st.sampled_from([org for org in receivers if org.pk != lease.exporter_id]))
                transfer = transfers.transfer_offer(
                    lease=lease,
                    by=exporter_of(lease),
                    quantity=draw(st.integers(1, max(units, 1))),
                    start=first,
                    price=minor(draw, currency, 1, 500_000),
                    goods=draw(st.sampled_from(["carry", "remove"])),
                    to_organisation=draw(st.sampled_from([receiver, None])),
                )
                transfer = transfers.transfer_accept(transfer=transfer, by=users[receiver.pk], organisation=receiver)
                if transfer.state == "accepted":
                    transfer = transfers.transfer_consent(transfer=transfer, by=p.owner, approve=True)
                if action == "transfer":
                    pay(transfer.new_lease)
            event(f"{action} done")
        except ApplicationError as error:
            event(f"{action} refused: {error.code}")  # wrong state, no capacity, a deadline passed
        check_capacity(p.listing)
        check_money()

    # Let every lease run its course: goods arrive where none did, then a year passes.
    for lease in Lease.objects.filter(listing=p.listing, state=S.FUNDED):
        services_walker(p, lease, exporter_of(lease)).check_in(lease)
    clock.advance(days=400)
    sweep_all()
    payouts_retry()
    refunds_retry()
    check_capacity(p.listing)
    check_money()
    states = set(Lease.objects.filter(listing=p.listing).values_list("state", flat=True))
    assert states <= FINAL, states
    assert all(ledger.escrow_held(escrow) == 0 for escrow in Escrow.objects.all())
    assert not Payout.objects.exclude(status=PayoutStatus.PAID).exists()
    assert not Refund.objects.exclude(status=RefundStatus.SUCCEEDED).exists()
    assert not Reservation.objects.filter(listing=p.listing, released_at=None, end__gte=days_from_now(0)).exists()


def services_walker(p: Parties, lease: Lease, exporter):
    from leasing.demo import LeaseWalker

    return LeaseWalker(owner=p.owner, exporter=exporter)
