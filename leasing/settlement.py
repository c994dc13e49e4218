"""Settling what escrow holds for a lease in one decision (a dispute's): the refund to the
exporter and/or the release to the owner, and the end of the lease's release schedule.

The one leasing function that apps above leasing (trust's dispute resolution) call to move a
lease's held money, so that none of them reaches into ``leasing.schedule``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from escrow import services as escrow_services
from escrow.models import Payout, Refund

from . import schedule

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
    if exporter_part > 0:
        refund = escrow_services.escrow_refund(
            escrow=escrow, exporter=lease.exporter, amount=exporter_part, reason=reason, key=key
        )
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
