"""A lease's escrow release schedule: instalments, releasing them, and the policy refunds.

Rounding (docs/money.md): every pro-rata share is rounded *down* to the currency's minor unit,
and shares of a whole are taken cumulatively (share i = ⌊whole × weight₁..ᵢ / Σweights⌋ −
⌊whole × weight₁..ᵢ₋₁ / Σweights⌋), so the shares always add up to the whole exactly and the
last one takes what rounding left over.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from common.money import Money, quantize_down
from common.tasks import task_dispatch
from escrow import services as escrow_services
from escrow import tasks as escrow_tasks
from escrow.models import Escrow, Payout
from warehouses.choices import CancellationPolicy

from .choices import CancelledBy, InstalmentStatus
from .models import Instalment, Lease

# A lease longer than this is released month by month; a shorter one at once on confirmation.
MONTHLY_AFTER_DAYS = 30


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


def instalments_create(lease: Lease) -> list[Instalment]:
    """The lease's schedule, made once when it is paid: storage and platform fee shared by days,
    handling in with the first period and handling out with the last."""
    existing = list(lease.instalments.all())
    if existing:
        return existing
    spans = periods(lease.start, lease.end)
    days = [(end - start).days + 1 for start, end in spans]
    storage = shares(lease.storage_amount, days, lease.currency)
    fees = shares(lease.platform_fee, days, lease.currency)
    last = len(spans) - 1
    return Instalment.objects.bulk_create(
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
        )
        for index, (start, end) in enumerate(spans)
    )


def scheduled(lease: Lease) -> list[Instalment]:
    return list(lease.instalments.filter(status=InstalmentStatus.SCHEDULED).order_by("sequence"))


def _settle(instalment: Instalment, status: str) -> None:
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
        task_dispatch(escrow_tasks.payout_execute, payout.pk)
    _settle(instalment, InstalmentStatus.RELEASED)
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
        _settle(instalment, status)


def release_sequence_next(escrow: Escrow) -> int:
    """The next payout sequence for a release outside the schedule (a dispute decision's). It
    closes the schedule in the same transaction, so no later instalment can take the number."""
    return max(escrow.payouts.values_list("sequence", flat=True), default=0) + 1


# --- Cancellation policies ----------------------------------------------------------------

# policy -> (hours before the start, refund percent on or before that point, refund percent after)
POLICIES: dict[str, tuple[int, int, int]] = {
    CancellationPolicy.FLEXIBLE: (24, 100, 0),
    CancellationPolicy.MODERATE: (7 * 24, 100, 50),
    CancellationPolicy.STRICT: (14 * 24, 50, 0),
}


def starts_at(lease: Lease, day: date) -> datetime:
    """Midnight at the start of ``day`` in the warehouse's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(lease.listing.warehouse.timezone or "UTC"))


def refund_percent(lease: Lease, day: date, now: datetime) -> int:
    hours, before, after = POLICIES[lease.listing.cancellation_policy]
    return before if now <= starts_at(lease, day) - timedelta(hours=hours) else after


@dataclass(frozen=True)
class CancellationLine:
    instalment: Instalment
    percent: int
    refund: Decimal
    owner: Decimal
    fee: Decimal


@dataclass(frozen=True)
class CancellationQuote:
    """What a cancellation now would do with the money escrow still holds: per instalment, the
    exporter's refund by the policy, the owner's part and the platform fee kept on that part."""

    currency: str
    side: str
    lines: tuple[CancellationLine, ...]
    keep_until: date | None  # the last day the lease keeps its space (already paid for), if any

    def _sum(self, field: str) -> Decimal:
        return sum((getattr(line, field) for line in self.lines), Decimal(0))

    @property
    def refund(self) -> Decimal:
        return self._sum("refund")

    @property
    def owner(self) -> Decimal:
        return self._sum("owner")

    @property
    def fee(self) -> Decimal:
        return self._sum("fee")

    @property
    def held(self) -> Decimal:
        return self.refund + self.owner + self.fee

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


def cancellation_quote(lease: Lease, *, side: str, now: datetime | None = None) -> CancellationQuote:
    """The exact money of cancelling ``lease`` at ``now``. The exporter's refund on each instalment
    still held is the policy's percentage for that period's start (rounded down; the owner gets
    the rest, less the platform fee's same share); the owner cancelling refunds everything."""
    now = now or timezone.now()
    lines = []
    for instalment in scheduled(lease):
        percent = 100 if side == CancelledBy.OWNER else refund_percent(lease, instalment.start, now)
        refund = quantize_down(instalment.gross * percent / 100, lease.currency)
        fee = quantize_down(instalment.fee * (100 - percent) / 100, lease.currency)
        lines.append(
            CancellationLine(
                instalment=instalment,
                percent=percent,
                refund=refund,
                owner=instalment.gross - refund - fee,
                fee=fee,
            )
        )
    released = lease.instalments.filter(status=InstalmentStatus.RELEASED).order_by("-sequence").first()
    return CancellationQuote(
        currency=lease.currency,
        side=side,
        lines=tuple(lines),
        keep_until=released.end if released else None,
    )


def cancellation_settle(*, lease: Lease, escrow: Escrow, quote: CancellationQuote) -> None:
    """Move the quoted money (inside the caller's transaction, lease and escrow locked): the refund
    back to the exporter's card, each instalment's owner part and fee released."""
    if quote.refund:
        # Stored English, shown translated (``leasing.selectors.note_text``).
        reason = (
            gettext_noop("cancelled by the owner")
            if quote.side == CancelledBy.OWNER
            else gettext_noop("cancelled by the exporter")
        )
        refund = escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=quote.refund,
            reason=reason,
            key=f"escrow:{escrow.pk}:cancel:refund",
        )
        task_dispatch(escrow_tasks.refund_execute, refund.pk)
    for line in quote.lines:
        if line.owner or line.fee:
            payout = escrow_services.escrow_release(
                escrow=escrow,
                owner=lease.owner,
                owner_amount=line.owner,
                platform_fee=line.fee,
                sequence=line.instalment.sequence,
            )
            task_dispatch(escrow_tasks.payout_execute, payout.pk)
        _settle(line.instalment, InstalmentStatus.CANCELLED)


def transfer_fee_percent() -> Decimal:
    return Decimal(settings.WARESHARE["TRANSFER_FEE_PERCENT"])
