"""What may each side of a lease do now, and why not: the one place each rule is written.

Every function answers with a ``Verdict``: yes, or no with the error (class, code, translated
reason) the service raises. Services call ``.require()`` under their locks; the lease page, the
dashboards, the view pre-checks, the templates and the API only read the verdict, so what a person
is offered is exactly what the service accepts (``tests/leasing/test_rules_parity.py``).

Who the person is (a member of the side's organisation: ``core.require_owner``) and the input
they give (a reason, a price, a date) are checked by the services; these rules decide whether the
lease, in its state and at its warehouse's today, lets that side take the step at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from escrow.models import Escrow

from .choices import (
    OPEN_TRANSFER_STATES,
    Billing,
    CancelledBy,
    InstalmentStatus,
    LeaseOrigin,
    LeaseState,
    ShipmentStatus,
    TransferState,
)
from .core import ENDED_UNUSED, TRANSITIONS, held_at_end, lease_today, state_word
from .exceptions import (
    InvalidExtension,
    InvalidTransfer,
    InvalidTransition,
    NotAllowed,
    ShipmentOutOfOrder,
    TransferNotOpen,
)
from .hooks import late_extension_allowed
from .models import InboundShipment, Instalment, Lease, LeaseTransfer

S = LeaseState
OWNER, EXPORTER = "owner", "exporter"
SIDES = (OWNER, EXPORTER)
# A lease that can be handed on to another exporter.
TRANSFERABLE = (S.FUNDED, S.ACTIVE)
# Each side may cancel in these states (the owner also only before the start).
CANCELLABLE = {CancelledBy.EXPORTER: (S.FUNDED, S.ACTIVE), CancelledBy.OWNER: (S.ACCEPTED, S.FUNDED)}
# A shipment moves forward through these, then is checked in.
SHIPMENT_FORWARD: list[str] = [ShipmentStatus.ANNOUNCED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED]
# Dispute kinds (trust.choices.DisputeKind's values; leasing does not import trust).
DISPUTE_CHECK_IN, DISPUTE_DAMAGE = "check_in", "damage_or_loss"


@dataclass(frozen=True)
class Verdict:
    """Yes, or no with why: the error a service raises, its code and the reason in the reader's language."""

    allowed: bool
    reason: str = ""
    error: type[ApplicationError] = NotAllowed
    code: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """Raise the verdict's error if it is a no."""
        if not self.allowed:
            raise self.error(self.reason, code=self.code or None)

    @property
    def error_code(self) -> str:
        return self.code or self.error.code


YES = Verdict(True)


def no(error: type[ApplicationError], reason: str, code: str = "") -> Verdict:
    return Verdict(False, reason=reason, error=error, code=code)


def _only(side: str, wanted: str) -> Verdict:
    if side == wanted:
        return YES
    if wanted == OWNER:
        return no(NotAllowed, _("Only the warehouse owner can do this."))
    return no(NotAllowed, _("Only the exporter who leased the space can do this."))


def _becomes(lease: Lease, to: str) -> Verdict:
    """The state table allows ``lease`` to become ``to``."""
    if to in TRANSITIONS[lease.state]:
        return YES
    return no(
        InvalidTransition,
        _("A lease that is %(state)s cannot become %(to)s.") % {"state": state_word(lease.state), "to": state_word(to)},
    )


def _escrow(lease: Lease) -> Escrow | None:
    return getattr(lease, "escrow", None) if hasattr(lease, "escrow") else None


def _frozen(escrow: Escrow | None) -> bool:
    return escrow is not None and escrow.frozen


# --- Requests and answers ---------------------------------------------------------------------


def accept(lease: Lease, side: str) -> Verdict:
    return _only(side, OWNER) and _becomes(lease, S.ACCEPTED)


def decline(lease: Lease, side: str) -> Verdict:
    return _only(side, OWNER) and _becomes(lease, S.DECLINED)


def withdraw(lease: Lease, side: str) -> Verdict:
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if lease.state not in (S.REQUESTED, S.ACCEPTED):
        return no(
            InvalidTransition, _("Only an unpaid lease can be withdrawn; a paid one is cancelled under its policy.")
        )
    return YES


def pay(lease: Lease, side: str) -> Verdict:
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if lease.state != S.ACCEPTED:
        return no(
            InvalidTransition, _("A lease that is %(state)s cannot be paid.") % {"state": state_word(lease.state)}
        )
    return YES


# States in which a lease billed monthly is charged for its next months (docs/money.md).
BILLED_STATES = (S.FUNDED, S.CHECKED_IN, S.ACTIVE)


def instalment_next_due(lease: Lease) -> Instalment | None:
    """A lease billed monthly: the first instalment not paid yet, if any."""
    return lease.instalments.filter(status=InstalmentStatus.DUE).order_by("sequence").first()


def pay_instalment(lease: Lease, side: str, instalment: Instalment | None = None) -> Verdict:
    """The exporter may pay the next unpaid month of a lease billed monthly by hand (after an
    automatic charge failed, or early), until that month starts at the warehouse."""
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    nothing = no(InvalidTransition, _("This lease has no month waiting to be paid."), "nothing_to_pay")
    if lease.billing != Billing.MONTHLY or lease.state not in BILLED_STATES:
        return nothing  # decided without a query (lists ask every lease's actions)
    instalment = instalment or instalment_next_due(lease)
    if instalment is None or instalment.status != InstalmentStatus.DUE:
        return nothing
    if instalment.start <= lease_today(lease):
        return no(
            InvalidTransition, _("This month has begun without being paid: the lease ended before it."), "too_late"
        )
    return YES


# --- Shipments and check-in -------------------------------------------------------------------


def announce(lease: Lease, side: str) -> Verdict:
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if lease.state != S.FUNDED:
        return no(ShipmentOutOfOrder, _("Shipments can be announced once the lease is paid and before check-in."))
    return YES


def _receiving(lease: Lease) -> Verdict:
    # Later shipments are still received once the exporter confirmed what arrived first.
    if lease.state in (S.FUNDED, S.ACTIVE):
        return YES
    return no(
        InvalidTransition,
        _("Goods cannot be checked in on a lease that is %(state)s.") % {"state": state_word(lease.state)},
    )


def mark_next(shipment: InboundShipment) -> str | None:
    """The status the owner can mark ``shipment`` next (in transit, arrived), if any."""
    if shipment.status not in SHIPMENT_FORWARD[:-1]:
        return None
    return SHIPMENT_FORWARD[SHIPMENT_FORWARD.index(shipment.status) + 1]


def mark(lease: Lease, side: str, shipment: InboundShipment, status: str | None = None) -> Verdict:
    """The owner moves ``shipment`` forward (to ``status``, or to any later status), never backwards."""
    if not (verdict := _only(side, OWNER) and _receiving(lease)):
        return verdict
    current = SHIPMENT_FORWARD.index(shipment.status) if shipment.status in SHIPMENT_FORWARD else len(SHIPMENT_FORWARD)
    later = SHIPMENT_FORWARD[current + 1 :]
    if (status is None and not later) or (status is not None and status not in later):
        to = dict(ShipmentStatus.choices).get(status or "", status or "")
        return no(
            ShipmentOutOfOrder,
            _("A shipment that is %(status)s cannot be marked %(to)s.")
            % {"status": shipment.get_status_display().lower(), "to": str(to).lower()},
        )
    return YES


def check_in(lease: Lease, side: str, shipment: InboundShipment) -> Verdict:
    if not (verdict := _only(side, OWNER)):
        return verdict
    if shipment.status != ShipmentStatus.ARRIVED:
        return no(ShipmentOutOfOrder, _("Mark the shipment as arrived before checking it in."))
    return _receiving(lease)


# --- Confirmation and disputes ----------------------------------------------------------------


def confirm(
    lease: Lease, side: str, shipments: Sequence[InboundShipment] | None = None, *, part_in: bool | None = None
) -> Verdict:
    """The exporter confirms the check-in, or, with shipments still to come, what arrived so far (at
    least one shipment checked in). ``shipments``: the lease's shipments if already loaded;
    ``part_in``: whether one is checked in, if already known (a dashboard's annotation)."""
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if lease.state == S.CHECKED_IN:
        return YES
    if lease.state == S.FUNDED:
        if shipments is not None:
            arrived = any(shipment.status == ShipmentStatus.CHECKED_IN for shipment in shipments)
        elif part_in is not None:
            arrived = part_in
        else:
            arrived = lease.shipments.filter(status=ShipmentStatus.CHECKED_IN).exists()
        if arrived:
            return YES
    return no(
        InvalidTransition, _("A lease that is %(state)s cannot be confirmed.") % {"state": state_word(lease.state)}
    )


def dispute_window_open(lease: Lease, now: datetime | None = None) -> bool:
    """Whether the exporter's window to dispute the check-in is still open."""
    return lease.confirm_by is None or lease.confirm_by >= (now or timezone.now())


def dispute(lease: Lease, side: str, kind: str | None = None) -> Verdict:
    """``kind`` check_in: the exporter, on a checked-in lease while its window is open. ``kind``
    damage_or_loss: either side, on an active lease. Without ``kind``: whether any kind is open to ``side``."""
    if kind is None:
        kinds = [DISPUTE_CHECK_IN, DISPUTE_DAMAGE] if side == EXPORTER else [DISPUTE_DAMAGE]
        verdicts = [dispute(lease, side, each) for each in kinds]
        return next(
            (verdict for verdict in verdicts if verdict), verdicts[-1] if lease.state == S.ACTIVE else verdicts[0]
        )
    if kind == DISPUTE_CHECK_IN:
        if side != EXPORTER:
            return no(NotAllowed, _("Only the exporter can dispute the check-in."))
        if lease.state != S.CHECKED_IN:
            return no(
                InvalidTransition,
                _("A lease that is %(state)s has no check-in left to dispute.") % {"state": state_word(lease.state)},
            )
        if not dispute_window_open(lease):
            return no(InvalidTransition, _("The confirmation window has closed."), code="window_closed")
        return YES
    if lease.state != S.ACTIVE:
        return no(
            InvalidTransition,
            _("Damage or loss is reported on an active lease; this one is %(state)s.")
            % {"state": state_word(lease.state)},
        )
    return YES


# --- Cancelling, extending, transferring ------------------------------------------------------


def cancel(lease: Lease, side: str, *, escrow: Escrow | None = None, today: date | None = None) -> Verdict:
    """The exporter: a paid lease (before check-in, or the months not yet released). The owner: an
    accepted or paid lease before it starts (the start at the warehouse). Never under a card dispute."""
    if side == CancelledBy.EXPORTER and lease.state not in CANCELLABLE[CancelledBy.EXPORTER]:
        return no(
            InvalidTransition,
            _("The exporter cannot cancel a lease that is %(state)s.") % {"state": state_word(lease.state)},
        )
    if side == CancelledBy.OWNER:
        before_start = (today or lease_today(lease)) < lease.start
        if lease.state not in CANCELLABLE[CancelledBy.OWNER] or not before_start:
            return no(
                InvalidTransition,
                _("The owner cannot cancel a lease that is %(state)s before the lease starts.")
                % {"state": state_word(lease.state)},
            )
    if _frozen(escrow if escrow is not None else _escrow(lease)):
        return no(InvalidTransition, _("This lease's payment is under a card dispute: it cannot be cancelled now."))
    return YES


def cancel_side(lease: Lease, organisation_id: int, *, escrow: Escrow | None = None) -> str | None:
    """The side the organisation may cancel ``lease`` as now, if any."""
    if organisation_id == lease.exporter_id:
        side = CancelledBy.EXPORTER
    elif organisation_id == lease.listing.warehouse.organisation_id:
        side = CancelledBy.OWNER
    else:
        return None
    return side if cancel(lease, side, escrow=escrow) else None


def live_extension(lease: Lease, children: Sequence[Lease] | None = None) -> Lease | None:
    """The extension continuing ``lease``, if one is requested, awaiting payment or running."""
    if children is not None:
        live = [c for c in children if c.origin == LeaseOrigin.EXTENSION and c.state not in ENDED_UNUSED]
        return max(live, key=lambda child: child.end, default=None)
    extensions = lease.children.filter(origin=LeaseOrigin.EXTENSION).exclude(state__in=ENDED_UNUSED)
    return extensions.order_by("-end").first()


def extend(lease: Lease, side: str, children: Sequence[Lease] | None = None) -> Verdict:
    """One extension at a time, and a lease already extended is extended through its extension
    (extending the original again would lease the same days twice)."""
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    # A completed lease whose goods are still in the warehouse (an app above leasing says so:
    # inventory's overstay) may still be extended from the day after its end.
    late = lease.state == S.COMPLETED and late_extension_allowed(lease)
    if lease.state != S.ACTIVE and not late:
        return no(InvalidTransition, _("A lease can be extended once its goods are checked in and confirmed (active)."))
    held = held_at_end(lease)  # asked first, so the lease page runs the same queries whatever its history
    extension = live_extension(lease, children)
    if extension is not None and extension.state in (S.REQUESTED, S.ACCEPTED):
        return no(InvalidExtension, _("An extension of this lease is already waiting for the owner or for payment."))
    if extension is not None:
        return no(
            InvalidExtension,
            _("Lease #%(lease)s already extends this lease: extend that one instead.") % {"lease": extension.pk},
            code="already_extended",
        )
    if held < 1:
        return no(InvalidExtension, _("Nothing of this lease is left on its last day to extend."))
    return YES


def transfer_earliest(lease: Lease) -> date:
    """The first day a transfer of ``lease`` may start: today at the warehouse, or the lease's first
    day. Days already paid out to the owner can be handed on too (``transfers.transfer_value``)."""
    return max(lease_today(lease), lease.start)


def transfer_lapsed_reason() -> str:
    return _(
        "This transfer offer has lapsed: its first day has passed, or its terms changed. "
        "Ask the exporter to offer it again."
    )


def transfer_passed(transfer: LeaseTransfer) -> bool:
    """Whether an offer's first day is already past at the warehouse: it can only lapse."""
    return transfer.start < lease_today(transfer.lease)


def transfer(lease: Lease, side: str, transfers: Sequence[LeaseTransfer] | None = None) -> Verdict:
    """The exporter may offer a paid lease's remaining days, one offer at a time."""
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if lease.state not in TRANSFERABLE:
        return no(
            InvalidTransfer, _("A lease that is %(state)s cannot be transferred.") % {"state": state_word(lease.state)}
        )
    if _frozen(_escrow(lease)):
        return no(InvalidTransfer, _("This lease's payment is under a card dispute: it cannot be transferred now."))
    if lease.billing == Billing.MONTHLY:
        return no(InvalidTransfer, _("A lease paid month by month cannot be transferred."))
    if transfers is not None:
        open_offer = any(item.state in OPEN_TRANSFER_STATES for item in transfers)
    else:
        open_offer = lease.transfers.filter(state__in=OPEN_TRANSFER_STATES).exists()
    if open_offer:
        return no(InvalidTransfer, _("This lease already has an open transfer offer: withdraw it first."))
    if transfer_earliest(lease) > lease.end:
        return no(
            InvalidTransfer,
            _("Every day of this lease is past: nothing is left to hand on."),
        )
    return YES


def transfer_take(transfer: LeaseTransfer, organisation_id: int) -> Verdict:
    """Another exporter takes an open offer (the one it is offered to, or anyone with the link)."""
    lease = transfer.lease
    if transfer.state != TransferState.OFFERED:
        return no(TransferNotOpen, _("This transfer offer is no longer open: someone took it, or it was withdrawn."))
    if transfer_passed(transfer):
        return no(TransferNotOpen, transfer_lapsed_reason())
    if transfer.to_organisation_id not in (None, organisation_id):
        return no(NotAllowed, _("This transfer is offered to another organisation."))
    if organisation_id in (lease.exporter_id, lease.listing.warehouse.organisation_id):
        return no(NotAllowed, _("The lease's own exporter or owner cannot take its transfer."))
    return YES


def transfer_consent(transfer: LeaseTransfer, side: str) -> Verdict:
    if not (verdict := _only(side, OWNER)):
        return verdict
    if transfer.state != TransferState.ACCEPTED:
        return no(TransferNotOpen, _("This transfer is not waiting for your consent."))
    if transfer_passed(transfer):
        return no(TransferNotOpen, transfer_lapsed_reason())
    return YES


def transfer_withdraw(transfer: LeaseTransfer, side: str) -> Verdict:
    if not (verdict := _only(side, EXPORTER)):
        return verdict
    if not transfer.is_open:
        return no(TransferNotOpen, _("This transfer is no longer open."))
    return YES


# --- Every lease-level action, by name ---------------------------------------------------------

LEASE_ACTIONS: dict[str, Callable[[Lease, str], Verdict]] = {
    "accept": accept,
    "decline": decline,
    "withdraw": withdraw,
    "pay": pay,
    "pay_instalment": pay_instalment,
    "announce": announce,
    "confirm": confirm,
    "dispute": dispute,
    "cancel": lambda lease, side: cancel(lease, side),
    "extend": extend,
    "transfer": transfer,
}
# Actions on one shipment of the lease.
SHIPMENT_ACTIONS: dict[str, Callable[[Lease, str, InboundShipment], Verdict]] = {"mark": mark, "check_in": check_in}
# Actions on a transfer offer, by the side that takes them.
TRANSFER_ACTIONS = ("transfer_accept", "transfer_consent", "transfer_withdraw")


def side_of(lease: Lease, organisation_id: int) -> str:
    """The side an organisation taking part in ``lease`` is on: the exporter, or else the owner."""
    return EXPORTER if lease.exporter_id == organisation_id else OWNER


def lease_allowed(lease: Lease, side: str) -> list[str]:
    """The names of the lease-level actions ``side`` may take now (the API's ``actions``)."""
    return [name for name, rule in LEASE_ACTIONS.items() if rule(lease, side)]


def transfer_allowed(transfer: LeaseTransfer, organisation_id: int, *, is_exporter: bool) -> list[str]:
    """The transfer actions (``TRANSFER_ACTIONS``) an organisation that can see ``transfer`` may
    take now: the offering exporter withdraws, the owner consents, another exporter takes it (as on
    the transfer page, ``selectors.transfer_detail_get``). ``is_exporter``: whether the
    organisation is set up as an exporter (only exporters take transfers)."""
    lease = transfer.lease
    if organisation_id == lease.exporter_id:
        return ["transfer_withdraw"] if transfer_withdraw(transfer, EXPORTER) else []
    if organisation_id == lease.listing.warehouse.organisation_id:
        return ["transfer_consent"] if transfer_consent(transfer, OWNER) else []
    return ["transfer_accept"] if is_exporter and transfer_take(transfer, organisation_id) else []
