"""The lease core every leasing service builds on, public by design.

- ``TRANSITIONS`` is the state machine; ``lease_transition`` the only code that changes ``Lease.state``.
- ``lease_lock`` locks listing → lease → escrow, in that order, and returns fresh rows.
- ``lease_note`` writes a timeline note; ``transfer_lapse`` is the one way an open transfer offer lapses.
- ``TRANSFER_TRANSITIONS`` / ``transfer_transition``: the only code that changes ``LeaseTransfer.state``.
- ``require_owner`` / ``require_exporter`` / ``require_verified`` / ``standing_require``: who is acting.
- ``held_by_day`` / ``held_on``: the units a lease's live holds cover.
- ``lease_today``: "today" at the lease's warehouse, the only today business rules use.

Transfers, the services, the selectors, trust and the API import these names; nothing imports a
private name of another module.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.exceptions import OrganisationNotVerified
from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from escrow.models import Escrow
from warehouses.dates import warehouse_today
from warehouses.models import Listing
from warehouses.services import capacity_release

from . import schedule
from .choices import OPEN_TRANSFER_STATES, LeaseOrigin, LeaseState, TransferState
from .exceptions import InvalidTransition, NotAllowed, TransferNotOpen
from .hooks import lease_changed, standing_require, transfer_changed
from .models import Lease, LeaseEvent, LeaseTransfer
from .notifications import lease_notify

__all__ = [
    "ENDED_UNUSED",
    "ENDS_TRANSFER_OFFERS",
    "RELEASES_CAPACITY",
    "STATE_WORDS",
    "TRANSFER_TRANSITIONS",
    "TRANSITIONS",
    "Locked",
    "held_at_end",
    "held_by_day",
    "held_on",
    "lease_carry_in",
    "lease_lock",
    "lease_note",
    "lease_settings",
    "lease_today",
    "lease_transition",
    "require_exporter",
    "require_owner",
    "require_verified",
    "standing_require",
    "state_name",
    "state_word",
    "transfer_lapse",
    "transfer_transition",
]

S = LeaseState
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.FUNDED, S.EXPIRED, S.CANCELLED}),
    # funded -> active: the goods were already checked in on the lease this one continues
    # (an extension, or a transfer that carries the goods over).
    S.FUNDED: frozenset({S.CHECKED_IN, S.CANCELLED, S.ACTIVE, S.TRANSFERRED}),
    S.CHECKED_IN: frozenset({S.ACTIVE, S.DISPUTED}),
    S.DISPUTED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.TRANSFERRED, S.DISPUTED, S.CANCELLED}),  # disputed: damage or loss
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.COMPLETED: frozenset(),
    S.TRANSFERRED: frozenset(),
}
# Reaching one of these gives the held capacity back to the calendar.
RELEASES_CAPACITY = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED})
# A lease that ended in one of these never held its days.
ENDED_UNUSED = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED})
# Reaching one of these ends any open offer to transfer the lease.
ENDS_TRANSFER_OFFERS = frozenset({S.CANCELLED, S.COMPLETED, S.TRANSFERRED, S.DISPUTED, S.EXPIRED})


def state_name(state: str) -> str:
    """A state in the English of the stored timeline notes ("checked in")."""
    return state.replace("_", " ")


# A state in a sentence shown to a person ("A lease that is checked in cannot be paid.").
STATE_WORDS: dict[str, Promise] = {
    S.REQUESTED: pgettext_lazy("a lease that is …", "requested"),
    S.ACCEPTED: pgettext_lazy("a lease that is …", "accepted"),
    S.DECLINED: pgettext_lazy("a lease that is …", "declined"),
    S.EXPIRED: pgettext_lazy("a lease that is …", "expired"),
    S.FUNDED: pgettext_lazy("a lease that is …", "funded"),
    S.CANCELLED: pgettext_lazy("a lease that is …", "cancelled"),
    S.CHECKED_IN: pgettext_lazy("a lease that is …", "checked in"),
    S.DISPUTED: pgettext_lazy("a lease that is …", "disputed"),
    S.ACTIVE: pgettext_lazy("a lease that is …", "active"),
    S.COMPLETED: pgettext_lazy("a lease that is …", "completed"),
    S.TRANSFERRED: pgettext_lazy("a lease that is …", "transferred"),
}


def state_word(state: str) -> str:
    return str(STATE_WORDS.get(state, state_name(state)))


def lease_settings() -> dict[str, Any]:
    """The platform's lease rules (hold, payment and confirmation hours, tolerance, fees)."""
    return settings.WARESHARE


def lease_today(lease: Lease) -> date:
    """Today at the lease's warehouse: the date every business rule about the lease uses."""
    return warehouse_today(lease.listing.warehouse)


# --- Locking and the one transition -------------------------------------------------------


@dataclass
class Locked:
    lease: Lease
    escrow: Escrow | None


def lease_lock(lease: Lease) -> Locked:
    """Lock listing → lease → escrow, in that order, and return fresh rows."""
    Listing.objects.select_for_update().filter(pk=lease.listing_id).first()
    fresh = Lease.objects.select_for_update().get(pk=lease.pk)
    escrow = Escrow.objects.select_for_update().filter(lease_id=lease.pk).first()
    return Locked(lease=fresh, escrow=escrow)


def lease_transition(
    *,
    lease: Lease,
    to: str,
    by: User | None,
    note: str = "",
    notify: bool = True,
    release_capacity: bool = True,
) -> Lease:
    """Move a locked lease to ``to`` if the table allows it; write the event, release capacity
    where the new state says so (unless the caller already reshaped it: ``release_capacity``),
    end open transfer offers, and email after commit (unless ``notify`` is False: the caller
    sends its own message, e.g. a dispute's). Sends ``hooks.lease_changed`` (trust re-rates both
    sides). Raises InvalidTransition otherwise."""
    if to not in TRANSITIONS[lease.state]:
        raise InvalidTransition(
            _("A lease that is %(state)s cannot become %(to)s.")
            % {"state": state_word(lease.state), "to": state_word(to)}
        )
    from_state = lease.state
    lease.state = to
    now = timezone.now()
    if to == S.ACCEPTED:
        lease.hold_expires_at = None
        lease.payment_due_at = now + timedelta(hours=lease_settings()["PAYMENT_HOURS"])
    elif to == S.FUNDED:
        lease.payment_due_at = None
    elif to == S.CHECKED_IN:
        lease.confirm_by = now + timedelta(hours=lease_settings()["CONFIRMATION_HOURS"])
    lease.save()
    LeaseEvent.objects.create(lease=lease, actor=by, from_state=from_state, to_state=to, note=note[:500])
    if to in RELEASES_CAPACITY and release_capacity:
        for reservation in lease.reservations.filter(released_at=None):
            capacity_release(reservation=reservation)
    why = f"the lease became {state_name(to)}"
    if to in ENDS_TRANSFER_OFFERS:
        for transfer in LeaseTransfer.objects.select_for_update().filter(lease=lease, state__in=OPEN_TRANSFER_STATES):
            transfer_lapse(transfer, lease=lease, by=by, why=why)
    if lease.origin == LeaseOrigin.TRANSFER and to in (S.EXPIRED, S.CANCELLED):
        # The receiver's own lease ended unpaid: the offer it was created for lapses on the original.
        for transfer in LeaseTransfer.objects.select_for_update().filter(
            new_lease=lease, state__in=OPEN_TRANSFER_STATES
        ):
            transfer_lapse(transfer, lease=transfer.lease, by=by, why=f"lease #{lease.pk} became {state_name(to)}")
    _extensions_follow(lease, by=by)
    if notify:
        lease_notify(lease=lease, step=to)
    lease_changed.send(sender=Lease, lease=lease, from_state=from_state, to_state=to, by=by)
    return lease


T = TransferState
# A transfer offer's state machine (leasing/transfers.py walks it): offered → accepted (by the
# receiver) → approved (by the owner, or at once) → completed (the receiver paid); it may be
# declined by the owner, withdrawn by the offerer or lapse while open.
TRANSFER_TRANSITIONS: dict[str, frozenset[str]] = {
    T.OFFERED: frozenset({T.ACCEPTED, T.WITHDRAWN, T.LAPSED}),
    T.ACCEPTED: frozenset({T.APPROVED, T.DECLINED, T.WITHDRAWN, T.LAPSED}),
    T.APPROVED: frozenset({T.COMPLETED, T.WITHDRAWN, T.LAPSED}),
    T.COMPLETED: frozenset(),
    T.DECLINED: frozenset(),
    T.WITHDRAWN: frozenset(),
    T.LAPSED: frozenset(),
}


def transfer_transition(transfer: LeaseTransfer, *, to: str, by: User | None, **fields: Any) -> LeaseTransfer:
    """Move a locked transfer to ``to`` (setting ``fields`` with it) if the table allows it, save,
    and send ``hooks.transfer_changed``. Raises TransferNotOpen otherwise (the services' rules
    refuse first, with their own reason)."""
    if to not in TRANSFER_TRANSITIONS[transfer.state]:
        raise TransferNotOpen(_("This transfer is no longer open."))
    from_state = transfer.state
    transfer.state = to
    for name, value in fields.items():
        setattr(transfer, name, value)
    transfer.save()
    transfer_changed.send(sender=LeaseTransfer, transfer=transfer, from_state=from_state, to_state=to, by=by)
    return transfer


def transfer_lapse(transfer: LeaseTransfer, *, lease: Lease, by: User | None, why: str) -> None:
    """An open offer (locked) to transfer ``lease`` lapses, with a note on ``lease``'s timeline; a
    receiver's lease still awaiting payment is cancelled (a payment that still arrives is refunded:
    ``lease_payment_succeeded``)."""
    transfer_transition(transfer, to=TransferState.LAPSED, by=by)
    lease_note(lease, by=by, note=f"The transfer offer lapsed: {why}")
    if transfer.new_lease_id is not None:
        receiver = Lease.objects.select_for_update().get(pk=transfer.new_lease_id)
        if receiver.state == S.ACCEPTED:
            lease_transition(lease=receiver, to=S.CANCELLED, by=by, note=f"The transfer lapsed: {why}")


def _extensions_follow(lease: Lease, *, by: User | None) -> None:
    """Extensions follow the lease they extend: an unpaid one is cancelled when the lease ends
    early (cancelled, transferred); a paid one waiting for its parent's goods (the parent was
    disputed when it was paid) becomes active once the parent is."""
    if lease.state in (S.CANCELLED, S.TRANSFERRED):
        for child in lease.children.select_for_update().filter(
            origin=LeaseOrigin.EXTENSION, state__in=[S.REQUESTED, S.ACCEPTED]
        ):
            lease_transition(lease=child, to=S.CANCELLED, by=by, note=f"Lease #{lease.pk} ended early")
    elif lease.state == S.ACTIVE:
        for child in lease.children.select_for_update().filter(
            origin=LeaseOrigin.EXTENSION, state=S.FUNDED, goods_carried=True
        ):
            lease_carry_in(lease=child, escrow=Escrow.objects.select_for_update().get(lease=child), by=by)


def lease_carry_in(*, lease: Lease, escrow: Escrow, by: User | None) -> Lease:
    """A paid lease that continues another whose goods are already checked in (an extension, a
    transfer carrying the goods) is active at once; its instalments are released as they begin."""
    assert lease.parent is not None
    lease = lease_transition(
        lease=lease, to=S.ACTIVE, by=by, note=f"The goods checked in on lease #{lease.parent_id} carry over"
    )
    schedule.instalments_release_due(lease=lease, escrow=escrow, today=lease_today(lease))
    return lease


def lease_note(lease: Lease, *, by: User | None, note: str) -> None:
    """A line on the lease's timeline that does not change its state."""
    LeaseEvent.objects.create(lease=lease, actor=by, from_state=lease.state, to_state=lease.state, note=note[:500])


# --- Who is acting --------------------------------------------------------------------------


def require_owner(lease: Lease, by: User) -> None:
    if not user_is_member(by, lease.listing.warehouse.organisation):
        raise NotAllowed(_("Only the warehouse owner can do this."))


def require_exporter(lease: Lease, by: User) -> None:
    if not user_is_member(by, lease.exporter):
        raise NotAllowed(_("Only the exporter who leased the space can do this."))


def require_verified(organisation: Organisation, action: str) -> None:
    """``action``: one of trust's blocked actions, in English (translated here)."""
    if not organisation.is_verified:
        raise OrganisationNotVerified(
            _(
                "%(organisation)s must be verified by Wareshare before it can %(action)s. "
                "Submit your organisation's details for verification."
            )
            % {"organisation": organisation, "action": _(action)}
        )


# --- Held units -----------------------------------------------------------------------------


def held_by_day(lease: Lease, start: date, end: date | None = None) -> dict[date, int]:
    """Units the lease holds on each day of ``start..end`` (default: its end) from its live holds; a
    transfer may have moved some out, and a day no hold covers holds nothing."""
    end = end or lease.end
    held = {start + timedelta(days=n): 0 for n in range((end - start).days + 1)}
    for reservation in lease.reservations.filter(released_at=None, start__lte=end, end__gte=start):
        for day in held:
            if reservation.start <= day <= reservation.end:
                held[day] += reservation.quantity
    return held


def held_on(lease: Lease, day: date) -> int:
    """Units the lease holds on ``day``."""
    return held_by_day(lease, day, day)[day]


def held_at_end(lease: Lease) -> int:
    """Units the lease holds on its last day; for a completed lease, the units it held then (its
    holds were released when it completed). One query."""
    if lease.state != S.COMPLETED:
        return held_on(lease, lease.end)
    covering = lease.reservations.filter(start__lte=lease.end, end__gte=lease.end)
    return sum(covering.values_list("quantity", flat=True))
