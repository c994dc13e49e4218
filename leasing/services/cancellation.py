"""Cancelling a lease under its listing's policy, and the refund rule that prices it.

The policy is applied to each instalment escrow still holds, measured from that instalment's
start at midnight in the warehouse's time zone (``warehouses.dates.warehouse_midnight``). The page
shows ``lease_cancel_quote`` and posts the refund back; ``lease_cancel`` refuses if it changed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, User
from common.money import Money, quantize_down
from escrow import services as escrow_services
from escrow.choices import PaymentStatus
from escrow.models import Escrow
from warehouses.choices import CancellationPolicy
from warehouses.dates import warehouse_midnight
from warehouses.services import capacity_reshape

from .. import rules, schedule
from ..choices import Billing, CancelledBy, InstalmentStatus
from ..choices import LeaseState as S
from ..core import lease_lock, lease_today, lease_transition, require_exporter, require_owner
from ..exceptions import RefundChanged
from ..models import Instalment, Lease

# policy -> (hours before the start, refund percent on or before that point, refund percent after)
POLICIES: dict[str, tuple[int, int, int]] = {
    CancellationPolicy.FLEXIBLE: (24, 100, 0),
    CancellationPolicy.MODERATE: (7 * 24, 100, 50),
    CancellationPolicy.STRICT: (14 * 24, 50, 0),
}


def starts_at(lease: Lease, day: date) -> datetime:
    """Midnight at the start of ``day`` in the warehouse's time zone."""
    return warehouse_midnight(lease.listing.warehouse, day)


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
    for instalment in schedule.scheduled(lease):
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
    # Stored English, shown translated (``leasing.selectors.note_text``).
    reason = (
        gettext_noop("cancelled by the owner")
        if quote.side == CancelledBy.OWNER
        else gettext_noop("cancelled by the exporter")
    )
    if lease.billing == Billing.MONTHLY:
        # Each month was its own charge: each month's refund goes back to the card that paid it.
        payments = {p.instalment: p for p in escrow.payments.filter(status=PaymentStatus.SUCCEEDED)}
        for line in quote.lines:
            if line.refund:
                escrow_services.escrow_refund(
                    escrow=escrow,
                    exporter=lease.exporter,
                    amount=line.refund,
                    reason=reason,
                    key=f"escrow:{escrow.pk}:cancel:refund:{line.instalment.sequence}",
                    payment=payments[line.instalment.sequence],
                )
    elif quote.refund:
        escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=quote.refund,
            reason=reason,
            key=f"escrow:{escrow.pk}:cancel:refund",
        )
    for line in quote.lines:
        if line.owner or line.fee:
            escrow_services.escrow_release(
                escrow=escrow,
                owner=lease.owner,
                owner_amount=line.owner,
                platform_fee=line.fee,
                sequence=line.instalment.sequence,
            )
        schedule.instalment_settle(line.instalment, InstalmentStatus.CANCELLED)


def lease_cancel_side(lease: Lease, organisation: Organisation) -> str | None:
    """The side ``organisation`` may cancel ``lease`` as now, if any (``rules.cancel_side``)."""
    return rules.cancel_side(lease, organisation.pk)


def lease_cancel_quote(*, lease: Lease, side: str) -> CancellationQuote:
    """The refund a cancellation by ``side`` would make now: shown before the person confirms."""
    return cancellation_quote(lease, side=side)


@transaction.atomic
def lease_cancel(*, lease: Lease, by: User, side: str, expected_refund: Decimal | None = None) -> Lease:
    """Cancel a paid (or, by the owner, an accepted) lease under the listing's policy.

    The exporter: before check-in, or after it for the months not yet released. The owner: any
    time before the start, refunding everything (it counts against the owner's rating). Money
    escrow holds is refunded and released as ``lease_cancel_quote`` says; if ``expected_refund``
    (the amount the person saw) is no longer right, nothing happens (RefundChanged). On an active
    lease the space already paid for stays held until the end of its last released month.
    """
    require_exporter(lease, by) if side == CancelledBy.EXPORTER else require_owner(lease, by)
    locked = lease_lock(lease)
    lease, escrow = locked.lease, locked.escrow
    rules.cancel(lease, side, escrow=escrow).require()
    quote = cancellation_quote(lease, side=side)
    if expected_refund is not None and quote.refund != expected_refund:
        raise RefundChanged(
            _(
                "The refund is now %(refund)s, not %(shown)s: a deadline of the cancellation policy has passed. "
                "Review the new amount and confirm again."
            )
            % {"refund": quote.money("refund"), "shown": Money(expected_refund, lease.currency)}
        )
    if quote.lines:
        assert escrow is not None
        cancellation_settle(lease=lease, escrow=escrow, quote=quote)
    for unpaid in lease.instalments.filter(status=InstalmentStatus.DUE):  # billed monthly: never charged now
        schedule.instalment_settle(unpaid, InstalmentStatus.CANCELLED)
    kept = quote.keep_until is not None and quote.keep_until >= lease_today(lease)
    if quote.keep_until is not None and kept:
        capacity_keep_until(lease, quote.keep_until)
    lease.cancelled_by = side
    if quote.lines:
        note = f"Cancelled by the {side}; refund {quote.money('refund')}"
    elif side == CancelledBy.OWNER:
        note = gettext_noop("Cancelled by the owner")
    else:
        note = gettext_noop("Cancelled by the exporter")
    return lease_transition(lease=lease, to=S.CANCELLED, by=by, note=note, release_capacity=not kept)


def capacity_keep_until(lease: Lease, last_day: date) -> None:
    """Give back the lease's capacity after ``last_day`` (inside the locked transaction)."""
    for reservation in lease.reservations.filter(released_at=None):
        if reservation.end <= last_day:
            continue
        parts = [(reservation.start, last_day, reservation.quantity)] if reservation.start <= last_day else []
        lease.reservations.add(*capacity_reshape(reservation=reservation, parts=parts))
