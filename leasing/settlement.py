"""Settling what escrow holds for a lease in one decision (a dispute's): the refund to the
exporter and/or the release to the owner, and the end of the lease's release schedule.

The one leasing function that apps above leasing (trust's dispute resolution) call to move a
lease's held money, so that none of them reaches into ``leasing.schedule``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from escrow import services as escrow_services
from escrow.choices import PaymentStatus
from escrow.models import Escrow, Payment, Payout, Refund

from . import schedule
from .choices import Billing, InstalmentStatus
from .models import Lease

if TYPE_CHECKING:
    from .services import Locked


def lease_settle(
    *, locked: Locked, exporter_part: Decimal, owner_net: Decimal, platform_fee: Decimal, reason: str, key: str
) -> tuple[Refund | None, Payout | None]:
    """Settle everything escrow holds for ``locked.lease``: refund ``exporter_part`` to the
    exporter (idempotent on ``key``), release ``owner_net`` to the owner with ``platform_fee``
    as revenue (the next payout sequence outside the schedule), and close the instalments still
    scheduled: nothing is left to release. Either side may get nothing; when nothing moves at
    all, nothing is written. Returns (refund, payout), each None where that side gets nothing.

    Precondition: inside the caller's transaction, with listing → lease → escrow locked
    (``leasing.core.lease_lock``) and the parts adding up to what escrow holds. The ledger
    postings are made here; escrow schedules the processor refund and transfer for after commit.
    Raises EscrowError (``escrow_frozen``) while a card dispute freezes the escrow."""
    lease, escrow = locked.lease, locked.escrow
    owner_part = owner_net + platform_fee
    if exporter_part <= 0 and owner_part <= 0:
        return None, None
    if escrow is None:
        raise ValueError(f"Lease {lease.pk} has no escrow to settle.")
    refund = payout = None
    for n, (payment, part) in enumerate(refund_sources(lease, escrow, exporter_part)):
        made = escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=part,
            reason=reason,
            key=key if payment is None else f"{key}:{payment.instalment}",
            payment=payment,
        )
        refund = refund if n else made  # the decision names the first (largest share) refund
    if owner_part > 0:
        payout = escrow_services.escrow_release(
            escrow=escrow,
            owner=lease.owner,
            owner_amount=owner_net,
            platform_fee=platform_fee,
            sequence=schedule.release_sequence_next(escrow),
        )
    schedule.instalments_close(lease)
    return refund, payout


def refund_sources(lease: Lease, escrow: Escrow, amount: Decimal) -> list[tuple[Payment | None, Decimal]]:
    """Which charges a refund of ``amount`` goes back to. Paid up front: the one charge (None: the
    lease's payment). Billed monthly, each month was its own charge and a card refund cannot exceed
    its charge: each month still held gives back up to what escrow holds of it, the latest month
    first (docs/money.md, "Monthly billing"). The parts add up to ``amount``."""
    if amount <= 0:
        return []
    if lease.billing != Billing.MONTHLY:
        return [(None, amount)]
    payments = {p.instalment: p for p in escrow.payments.filter(status=PaymentStatus.SUCCEEDED)}
    sources: list[tuple[Payment | None, Decimal]] = []
    left = amount
    for instalment in lease.instalments.filter(status=InstalmentStatus.SCHEDULED).order_by("-sequence"):
        payment = payments.get(instalment.sequence)
        if payment is None or left <= 0:
            continue
        part = min(left, instalment.gross)
        sources.append((payment, part))
        left -= part
    if left > 0:  # more than the held months: cannot be, the parts add up to what escrow holds
        raise ValueError(f"Lease {lease.pk}: a refund of {amount} is more than the months escrow holds.")
    return sources
