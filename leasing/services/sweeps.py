"""The time-driven steps: idempotent sweeps run by `manage.py run_sweeps` and Celery beat.

Each lease is locked and checked again under the lock, so a lease another worker (or a person)
moved meanwhile is skipped. Dates are the warehouse's: a sweep asks each lease's own today.
"""

from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from escrow.choices import PaymentStatus
from warehouses.dates import today_range

from .. import schedule
from ..choices import InstalmentStatus
from ..choices import LeaseState as S
from ..core import Locked, lease_lock, lease_today, lease_transition
from ..models import Lease
from .confirmation import lease_release


def _sweep(*, state: str, due: Q, act: Callable[[Locked], bool]) -> int:
    """Apply ``act`` to every lease in ``state`` that is ``due``, one transaction each. The lease is
    locked and both conditions are checked again under the lock, so a lease another worker (or
    a person) moved meanwhile is skipped. ``act`` returns whether it handled the lease."""
    handled = 0
    for pk in Lease.objects.filter(due, state=state).order_by("pk").values_list("pk", flat=True).distinct():
        with transaction.atomic():
            locked = lease_lock(Lease.objects.get(pk=pk))
            if Lease.objects.filter(due, pk=pk, state=state).exists() and act(locked):
                handled += 1
    return handled


def _to(state: str, note: str) -> Callable[[Locked], bool]:
    def act(locked: Locked) -> bool:
        lease_transition(lease=locked.lease, to=state, by=None, note=note)
        return True

    return act


def leases_expire_holds() -> int:
    """Requests the owner did not answer in time expire and free their capacity."""
    due = Q(hold_expires_at__lte=timezone.now())
    return _sweep(state=S.REQUESTED, due=due, act=_to(S.EXPIRED, gettext_noop("The owner did not answer in time")))


def leases_expire_unpaid() -> int:
    """Accepted leases not paid in time expire and free their capacity. A lease whose payment was
    recorded but not yet funded (the process died in between) was paid in time: it is left for
    ``leases_fund_paid``, which funds it, instead of expiring with the exporter's money taken."""
    due = Q(payment_due_at__lte=timezone.now())
    expire = _to(S.EXPIRED, gettext_noop("Not paid in time"))

    def act(locked: Locked) -> bool:
        if locked.escrow is not None and locked.escrow.payments.filter(status=PaymentStatus.SUCCEEDED).exists():
            return False
        return expire(locked)

    return _sweep(state=S.ACCEPTED, due=due, act=act)


def leases_auto_confirm() -> int:
    """Check-ins the exporter neither confirmed nor disputed in the window confirm themselves."""

    def act(locked: Locked) -> bool:
        if locked.escrow is not None and locked.escrow.frozen:
            return False  # a card dispute is open: nothing is released until it is decided
        lease_release(
            locked, by=None, note=gettext_noop("Confirmed automatically: the window passed without a dispute")
        )
        return True

    return _sweep(state=S.CHECKED_IN, due=Q(confirm_by__lte=timezone.now()), act=act)


def _latest_today() -> date:
    """The latest date it is anywhere now: no warehouse's today is later, so a query for candidates
    with it misses none; each is then checked against its own warehouse's today."""
    return today_range()[1]


def leases_release_due() -> int:
    """Active leases released month by month: each month's instalment is released at its start
    (the start at the warehouse)."""

    def act(locked: Locked) -> bool:
        if locked.escrow is None or locked.escrow.frozen:
            return False
        today = lease_today(locked.lease)
        return bool(schedule.instalments_release_due(lease=locked.lease, escrow=locked.escrow, today=today))

    due = Q(instalments__status=InstalmentStatus.SCHEDULED, instalments__start__lte=_latest_today())
    return _sweep(state=S.ACTIVE, due=due, act=act)


def leases_complete() -> int:
    """Active leases past their end date (at the warehouse) complete and free their capacity (any
    instalment still held is released first)."""

    def act(locked: Locked) -> bool:
        if locked.lease.end >= lease_today(locked.lease):
            return False
        if locked.escrow is not None:
            if locked.escrow.frozen:
                return False
            # The lease ended: whatever escrow still holds for it is due.
            schedule.instalments_release_due(lease=locked.lease, escrow=locked.escrow, today=date.max)
        lease_transition(lease=locked.lease, to=S.COMPLETED, by=None, note=gettext_noop("The lease ended"))
        return True

    return _sweep(state=S.ACTIVE, due=Q(end__lt=_latest_today()), act=act)
