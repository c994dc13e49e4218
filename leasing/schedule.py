"""A lease's escrow release schedule: instalments, releasing them, and the policy refunds.

Rounding (docs/money.md): every pro-rata share is rounded *down* to the currency's minor unit,
and shares of a whole are taken cumulatively (share i = ⌊whole × weight₁..ᵢ / Σweights⌋ −
⌊whole × weight₁..ᵢ₋₁ / Σweights⌋), so the shares always add up to the whole exactly and the
last one takes what rounding left over.
"""

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from common.money import quantize_down
from escrow import services as escrow_services
from escrow.models import Escrow, Payout

from .choices import Billing, InstalmentStatus
from .models import Instalment, Lease

# A lease longer than this is released month by month; a shorter one at once on confirmation.
MONTHLY_AFTER_DAYS = 30
# Billed monthly (docs/money.md): a later month's first automatic charge, this many days before it
# starts (midnight at the warehouse); after a failure, the next tries this many days after the first.
CHARGE_DAYS_BEFORE = 7
RETRY_AFTER_DAYS = (1, 2)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan → 28 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def periods(start: date, end: date) -> list[tuple[date, date]]:
    """The release periods of a lease: the whole lease up to 30 days, else months from its start."""
    if (end - start).days + 1 <= MONTHLY_AFTER_DAYS:
        return [(start, end)]
    result = []
    month = 0
    while (first := add_months(start, month)) <= end:
        result.append((first, min(add_months(start, month + 1) - timedelta(days=1), end)))
        month += 1
    return result


def shares(whole: Decimal, weights: Sequence[int], currency: str) -> list[Decimal]:
    """Split ``whole`` by ``weights``: cumulative shares rounded down, so they sum to ``whole``."""
    total = sum(weights)
    result, taken, running = [], Decimal(0), 0
    for weight in weights:
        running += weight
        cumulative = whole if running == total else quantize_down(whole * running / total, currency)
        result.append(cumulative - taken)
        taken = cumulative
    return result


def instalment_plan(lease: Lease) -> list[Instalment]:
    """The lease's schedule, unsaved: storage and platform fee shared by days, handling in with the
    first period and handling out with the last. Billed monthly, every instalment after the first is
    ``due`` (not paid yet: escrow holds nothing for it until its own payment succeeds)."""
    spans = periods(lease.start, lease.end)
    days = [(end - start).days + 1 for start, end in spans]
    storage = shares(lease.storage_amount, days, lease.currency)
    fees = shares(lease.platform_fee, days, lease.currency)
    last = len(spans) - 1
    monthly = lease.billing == Billing.MONTHLY
    return [
        Instalment(
            lease=lease,
            sequence=index + 1,
            start=start,
            end=end,
            unit_days=lease.quantity * days[index],
            amount=storage[index]
            + (lease.handling_in_amount if index == 0 else 0)
            + (lease.handling_out_amount if index == last else 0),
            fee=fees[index],
            status=InstalmentStatus.DUE if monthly and index else InstalmentStatus.SCHEDULED,
        )
        for index, (start, end) in enumerate(spans)
    ]


def first_payment_amount(lease: Lease) -> Decimal:
    """What the first payment takes: the whole lease, or billed monthly its first instalment."""
    if lease.billing == Billing.MONTHLY:
        return instalment_plan(lease)[0].gross
    return lease.total


def instalments_create(lease: Lease) -> list[Instalment]:
    """The lease's schedule (``instalment_plan``), made once when it is paid."""
    existing = list(lease.instalments.all())
    if existing:
        return existing
    return Instalment.objects.bulk_create(instalment_plan(lease))


def scheduled(lease: Lease) -> list[Instalment]:
    return list(lease.instalments.filter(status=InstalmentStatus.SCHEDULED).order_by("sequence"))


def instalment_settle(instalment: Instalment, status: str) -> None:
    """Mark an instalment settled with ``status`` (released, cancelled, settled by a decision)."""
    instalment.status = status
    instalment.settled_at = timezone.now()
    instalment.save(update_fields=["status", "settled_at", "amount", "fee", "unit_days"])


def _release(instalment: Instalment, *, lease: Lease, escrow: Escrow) -> Payout | None:
    payout = None
    if instalment.gross:
        payout = escrow_services.escrow_release(
            escrow=escrow,
            owner=lease.owner,
            owner_amount=instalment.amount,
            platform_fee=instalment.fee,
            sequence=instalment.sequence,
        )
    instalment_settle(instalment, InstalmentStatus.RELEASED)
    return payout


def instalments_release_due(*, lease: Lease, escrow: Escrow, today: date, first: bool = False) -> list[Instalment]:
    """Release (inside the caller's transaction, lease and escrow locked) every scheduled instalment
    whose period has begun, and with ``first`` (the check-in was just confirmed) the first one in
    any case. Each becomes a payout to the owner; returns the instalments released."""
    pending = scheduled(lease)
    due = [item for item in pending if item.start <= today]
    if first and pending and pending[0] not in due:
        due.insert(0, pending[0])
    for instalment in due:
        _release(instalment, lease=lease, escrow=escrow)
    return due


def instalments_close(lease: Lease, status: str = InstalmentStatus.SETTLED) -> None:
    """A dispute decision settled everything escrow held: nothing is left to release."""
    for instalment in scheduled(lease):
        instalment_settle(instalment, status)


def release_sequence_next(escrow: Escrow) -> int:
    """The next payout sequence for a release outside the schedule (a dispute decision's). It
    closes the schedule in the same transaction, so no later instalment can take the number."""
    return max(escrow.payouts.values_list("sequence", flat=True), default=0) + 1


def transfer_fee_percent() -> Decimal:
    return Decimal(settings.WARESHARE["TRANSFER_FEE_PERCENT"])
