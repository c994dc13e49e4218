"""The exporter confirms the check-in (or what arrived so far): the lease is active and escrow releases."""

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import User

from .. import rules, schedule
from ..choices import LeaseState as S
from ..core import Locked, lease_lock, lease_today, lease_transition, require_exporter
from ..models import Lease
from .shipments import shipments_waiting


def lease_release(locked: Locked, *, by: User | None, note: str) -> Lease:
    """The check-in is confirmed: the lease is active and escrow releases the first instalment
    (the whole price of a lease up to 30 days) and any other whose month has begun."""
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    lease = lease_transition(lease=lease, to=S.ACTIVE, by=by, note=note)
    schedule.instalments_release_due(lease=lease, escrow=escrow, today=lease_today(lease), first=True)
    return lease


def lease_confirmable(lease: Lease) -> bool:
    """Whether the exporter can confirm now (``rules.confirm``)."""
    return bool(rules.confirm(lease, rules.EXPORTER))


@transaction.atomic
def lease_confirm(*, lease: Lease, by: User) -> Lease:
    """The exporter confirms the check-in (or, with shipments still to come, what arrived so far):
    the escrow is released to the owner."""
    require_exporter(lease, by)
    locked = lease_lock(lease)
    rules.confirm(locked.lease, rules.EXPORTER).require()
    if locked.lease.state == S.FUNDED:
        waiting = shipments_waiting(locked.lease)
        lease_transition(
            lease=locked.lease,
            to=S.CHECKED_IN,
            by=by,
            note=f"The exporter confirms what arrived; {waiting} announced shipment(s) not checked in",
            notify=False,
        )
    return lease_release(locked, by=by, note=gettext_noop("Check-in confirmed by the exporter"))


def lease_dispute_open(lease: Lease) -> bool:
    """Whether a dispute can be opened now by either side, of any kind (``rules.dispute``)."""
    return any(rules.dispute(lease, side) for side in rules.SIDES)
