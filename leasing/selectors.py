"""Reads for the lease pages: what an organisation may see, and what each side can do next.

Every function returns querysets or plain data built in a fixed number of queries, whatever the
number of leases, shipments or events. Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.choices import VerificationStatus
from accounts.models import Organisation, User
from escrow.ledger import escrow_held
from escrow.models import Escrow, Payment, Payout, PayoutAccount, Refund
from trust.models import Dispute
from trust.selectors import dispute_latest_for, review_written
from warehouses.pricing import Quote, listing_quote

from . import schedule, transfers
from .choices import OPEN_TRANSFER_STATES, CancelledBy, InstalmentStatus, LeaseOrigin, LeaseState, ShipmentStatus
from .choices import TransferState as T
from .exceptions import InvalidTransfer
from .models import (
    CheckInPhoto,
    InboundShipment,
    Instalment,
    Lease,
    LeaseEvent,
    LeaseTransfer,
    ShipmentEvent,
    ShipmentLine,
)
from .services import (
    SHIPMENT_FORWARD,
    TRANSITIONS,
    _held_on,
    lease_cancel_quote,
    lease_cancel_side,
    lease_dispute_open,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = LeaseState
OWNER, EXPORTER = "owner", "exporter"

# The badge colour of each state: ok (money and goods where they should be), warn (someone must
# act), bad (ended without a lease). Unlisted states get the plain badge.
STATE_TONE: dict[str, str] = {
    S.REQUESTED: "warn",
    S.ACCEPTED: "warn",
    S.FUNDED: "ok",
    S.CHECKED_IN: "warn",
    S.DISPUTED: "bad",
    S.ACTIVE: "ok",
    S.DECLINED: "bad",
    S.EXPIRED: "bad",
    S.CANCELLED: "bad",
}
OPEN_STATES = (S.ACCEPTED, S.FUNDED, S.CHECKED_IN, S.DISPUTED, S.ACTIVE)
CLOSED_STATES = (S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED, S.TRANSFERRED)
# The clock that runs in each state: the lease field holding the time, and what it means to each side.
DEADLINES: dict[str, tuple[str, dict[str, "StrOrPromise"]]] = {
    S.REQUESTED: (
        "hold_expires_at",
        {OWNER: gettext_lazy("Answer by"), EXPORTER: gettext_lazy("The owner answers by")},
    ),
    S.ACCEPTED: ("payment_due_at", {OWNER: gettext_lazy("The exporter pays by"), EXPORTER: gettext_lazy("Pay by")}),
    S.CHECKED_IN: (
        "confirm_by",
        {OWNER: gettext_lazy("The exporter confirms by"), EXPORTER: gettext_lazy("Confirm or dispute by")},
    ),
}
SHIPMENTS_TO_RECEIVE = (ShipmentStatus.ANNOUNCED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED)

# What the viewer does next, per (side, state); None where the other side or nobody acts.
NEXT_STEP: dict[tuple[str, str], "StrOrPromise"] = {
    (OWNER, S.REQUESTED): gettext_lazy("Accept or decline"),
    (OWNER, S.FUNDED): gettext_lazy("Receive the shipment"),
    (OWNER, S.DISPUTED): gettext_lazy("Wareshare is reviewing"),
    (EXPORTER, S.REQUESTED): gettext_lazy("Waiting for the owner"),
    (EXPORTER, S.ACCEPTED): gettext_lazy("Pay into escrow"),
    (EXPORTER, S.FUNDED): gettext_lazy("Announce your shipment"),
    (EXPORTER, S.TRANSFERRED): gettext_lazy("Handed on to another exporter"),
    (EXPORTER, S.CHECKED_IN): gettext_lazy("Confirm or dispute the check-in"),
    (EXPORTER, S.DISPUTED): gettext_lazy("Wareshare is reviewing"),
    (OWNER, S.ACCEPTED): gettext_lazy("Waiting for payment"),
    (OWNER, S.CHECKED_IN): gettext_lazy("Waiting for the exporter to confirm"),
}


# --- Visibility ----------------------------------------------------------------------------


def lease_visible_to(*, organisation: Organisation) -> QuerySet[Lease]:
    """Leases ``organisation`` takes part in, as exporter or as the warehouse owner."""
    return Lease.objects.filter(Q(exporter=organisation) | Q(listing__warehouse__organisation=organisation))


def lease_owned_by(*, organisation: Organisation) -> QuerySet[Lease]:
    return Lease.objects.filter(listing__warehouse__organisation=organisation)


def lease_exported_by(*, organisation: Organisation) -> QuerySet[Lease]:
    return Lease.objects.filter(exporter=organisation)


def shipment_owned_by(*, organisation: Organisation) -> QuerySet[InboundShipment]:
    return InboundShipment.objects.filter(lease__listing__warehouse__organisation=organisation).select_related(
        "lease__listing__warehouse", "lease__exporter"
    )


def _with_parties(queryset: QuerySet[Lease]) -> QuerySet[Lease]:
    return queryset.select_related("listing__warehouse__organisation", "exporter")


# --- One lease -------------------------------------------------------------------------------


def lease_breakdown(lease: Lease) -> Quote:
    """The lease's frozen price, in the shape of a quote so one template shows both."""
    return Quote(
        currency=lease.currency,
        quantity=lease.quantity,
        days=lease.days,
        unit_price=lease.unit_price,
        storage=lease.storage_amount,
        handling_in=lease.handling_in_amount,
        handling_out=lease.handling_out_amount,
        platform_fee=lease.platform_fee,
        fee_percent=lease.platform_fee_percent,
    )


@dataclass
class TimelineItem:
    at: datetime
    title: str
    note: str
    actor: User | None


@dataclass
class LeaseActions:
    """What the viewer may do now. Derived from the state table; the services re-check it all."""

    accept: bool = False
    decline: bool = False
    withdraw: bool = False
    pay: bool = False
    announce: bool = False
    confirm: bool = False
    # Part of the goods is checked in and other shipments are still to come: the exporter may
    # confirm what arrived (services.lease_confirmable), which releases the payment.
    confirm_arrived: bool = False
    dispute: bool = False
    # shipment -> the status the owner can mark next (in transit, arrived)
    mark: list[tuple[InboundShipment, str, str]] = field(default_factory=list)
    check_in: list[InboundShipment] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return any(
            [
                self.accept,
                self.decline,
                self.withdraw,
                self.pay,
                self.announce,
                self.confirm,
                self.confirm_arrived,
                self.dispute,
            ]
        ) or bool(self.mark or self.check_in)


@dataclass
class LeaseChanges:
    """The changes the viewer may ask for on a running lease (each on its own page, which shows
    the money before anything happens). The services re-check all of it."""

    cancel: str = ""  # the side the viewer would cancel as ("exporter" or "owner"), or ""
    extend: bool = False
    transfer: bool = False
    open_transfer: LeaseTransfer | None = None  # the lease's transfer offer still in progress

    @property
    def any(self) -> bool:
        return bool(self.cancel or self.extend or self.transfer or self.open_transfer)


@dataclass(frozen=True)
class RelatedLease:
    """A lease this one continues, or one that continues it, as the viewer may open it: its own
    page where the viewer is a party to it, else the transfer page (a transfer's other exporter)."""

    label: str
    url: str
    state: str


@dataclass
class LeaseDetail:
    lease: Lease
    side: str  # OWNER or EXPORTER
    breakdown: Quote
    shipments: list[InboundShipment]
    timeline: list[TimelineItem]
    escrow: Escrow | None
    held: Decimal
    payments: list[Payment]
    payouts: list[Payout]
    refunds: list[Refund]
    actions: LeaseActions
    dispute: Dispute | None = None  # the latest dispute, open or resolved
    review_due: bool = False  # the lease is complete and the viewer's side has not reviewed it
    instalments: list[Instalment] = field(default_factory=list)
    related: list[RelatedLease] = field(default_factory=list)
    transfers: list[LeaseTransfer] = field(default_factory=list)
    changes: LeaseChanges = field(default_factory=LeaseChanges)

    @property
    def transferred_out(self) -> bool:
        """Whether a completed transfer moved part of this lease's schedule out."""
        return any(item.state == T.COMPLETED for item in self.transfers)

    @property
    def policy_rule(self) -> str:
        return policy_rule(self.lease.listing.cancellation_policy)

    @property
    def waiting_shipments(self) -> int:
        return sum(1 for shipment in self.shipments if shipment.status != ShipmentStatus.CHECKED_IN)

    @property
    def released_on_confirm(self) -> Decimal:
        """The owner's part confirming releases now: the first instalment and any whose period has
        begun (as ``schedule.instalments_release_due`` with ``first``)."""
        pending = [item for item in self.instalments if item.status == InstalmentStatus.SCHEDULED]
        today = timezone.localdate()
        due = [item for item in pending if item.start <= today]
        if pending and pending[0] not in due:
            due.insert(0, pending[0])
        return sum((item.amount for item in due), Decimal(0))

    @property
    def released_in_parts(self) -> bool:
        return len(self.instalments) > 1

    @property
    def schedule_totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """The schedule's owner parts, fees and both together."""
        amount = sum((item.amount for item in self.instalments), Decimal(0))
        fee = sum((item.fee for item in self.instalments), Decimal(0))
        return amount, fee, amount + fee

    @property
    def next_release(self) -> Instalment | None:
        """The first instalment still held, when the schedule has begun releasing."""
        if not any(item.status == InstalmentStatus.RELEASED for item in self.instalments):
            return None
        return next((item for item in self.instalments if item.status == InstalmentStatus.SCHEDULED), None)

    @property
    def is_owner(self) -> bool:
        return self.side == OWNER

    @property
    def next_step(self) -> str:
        return str(NEXT_STEP.get((self.side, self.lease.state), ""))

    @property
    def deadline(self) -> tuple[str, datetime] | None:
        """What must happen by when in the current state, if a clock runs."""
        if self.lease.state not in DEADLINES:
            return None
        name, labels = DEADLINES[self.lease.state]
        when = getattr(self.lease, name)
        return (str(labels[self.side]), when) if when else None


def lease_detail_queryset(*, organisation: Organisation) -> QuerySet[Lease]:
    return _with_parties(lease_visible_to(organisation=organisation)).select_related(
        "escrow", "parent__exporter", "transfer_in"
    )


def lease_detail_get(*, lease: Lease, organisation: Organisation) -> LeaseDetail:
    """Everything the lease page shows, in a fixed number of queries. ``lease`` comes from
    ``lease_detail_queryset`` (parties and escrow joined)."""
    side = EXPORTER if lease.exporter_id == organisation.pk else OWNER
    shipments = list(
        lease.shipments.select_related("checkin__recorded_by").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("received")),
            Prefetch("events", queryset=ShipmentEvent.objects.select_related("actor")),
            Prefetch("checkin__photos", queryset=CheckInPhoto.objects.order_by("pk")),
        )
    )
    events = list(LeaseEvent.objects.filter(lease=lease).select_related("actor"))
    escrow = getattr(lease, "escrow", None)
    payments: list[Payment] = []
    payouts: list[Payout] = []
    refunds: list[Refund] = []
    held = Decimal(0)
    if escrow is not None:
        held = escrow_held(escrow)
        payments = list(escrow.payments.all())
        payouts = list(escrow.payouts.all())
        refunds = list(escrow.refunds.all())
    review_due = lease.state == S.COMPLETED and review_written(lease=lease, organisation=organisation) is None
    children = list(lease.children.select_related("exporter", "transfer_in").order_by("start", "pk"))
    lease_transfers = list(lease.transfers.select_related("to_organisation", "receiver", "new_lease"))
    actions = lease_actions(lease=lease, side=side, shipments=shipments)
    return LeaseDetail(
        lease=lease,
        side=side,
        breakdown=lease_breakdown(lease),
        shipments=shipments,
        timeline=_timeline(events, shipments),
        escrow=escrow,
        held=held,
        payments=payments,
        payouts=payouts,
        refunds=refunds,
        actions=actions,
        dispute=dispute_latest_for(lease=lease),
        review_due=review_due,
        instalments=list(lease.instalments.all()),
        related=_related(lease, children, side),
        transfers=lease_transfers,
        changes=_changes(lease, organisation, side, children, lease_transfers, escrow),
    )


EXTENSION_ENDED = (S.DECLINED, S.EXPIRED, S.CANCELLED)


def lease_live_extension(lease: Lease) -> Lease | None:
    """The extension continuing ``lease``, if one is requested, awaiting payment or running."""
    return (
        lease.children.filter(origin=LeaseOrigin.EXTENSION).exclude(state__in=EXTENSION_ENDED).order_by("-end").first()
    )


def _related(lease: Lease, children: list[Lease], side: str) -> list[RelatedLease]:
    """The lease this one continues, then those continuing it, each linked where the viewer may look."""
    items = []
    parent = lease.parent
    if parent is not None:
        if lease.origin == LeaseOrigin.TRANSFER:
            transfer_in = getattr(lease, "transfer_in", None)
            url = _lease_url(parent) if side == OWNER or transfer_in is None else transfers.transfer_path(transfer_in)
            label = _("Transferred from lease #%(lease)s (%(exporter)s)") % {
                "lease": parent.pk,
                "exporter": parent.exporter,
            }
        else:
            url, label = _lease_url(parent), _("Extends lease #%(lease)s") % {"lease": parent.pk}
        items.append(RelatedLease(label, url, parent.state))
    for child in children:
        if child.origin == LeaseOrigin.TRANSFER:
            transfer_in = getattr(child, "transfer_in", None)
            url = _lease_url(child) if side == OWNER or transfer_in is None else transfers.transfer_path(transfer_in)
            label = ngettext(
                "Transferred to %(exporter)s: lease #%(lease)s, %(count)s unit from %(date)s",
                "Transferred to %(exporter)s: lease #%(lease)s, %(count)s units from %(date)s",
                child.quantity,
            ) % {"exporter": child.exporter, "lease": child.pk, "count": child.quantity, "date": _date(child.start)}
        else:
            url = _lease_url(child)
            label = _("Extension: lease #%(lease)s, until %(date)s") % {"lease": child.pk, "date": _date(child.end)}
        items.append(RelatedLease(label, url, child.state))
    return items


def _lease_url(lease: Lease) -> str:
    return reverse("leasing:lease_detail", args=[lease.pk])


def _date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _changes(
    lease: Lease,
    organisation: Organisation,
    side: str,
    children: list[Lease],
    lease_transfers: list[LeaseTransfer],
    escrow: Escrow | None,
) -> LeaseChanges:
    frozen = escrow is not None and escrow.frozen
    changes = LeaseChanges(cancel=(lease_cancel_side(lease, organisation) or "") if not frozen else "")
    changes.open_transfer = next((item for item in lease_transfers if item.is_open), None)
    if side == EXPORTER:
        # One extension at a time, and a lease already extended is extended through its extension
        # (extending the original again would lease the same days twice).
        extended = any(
            child.origin == LeaseOrigin.EXTENSION and child.state not in EXTENSION_ENDED for child in children
        )
        changes.extend = lease.state == S.ACTIVE and not extended
        changes.transfer = lease.state in transfers.TRANSFERABLE and not frozen and changes.open_transfer is None
    return changes


def note_text(note: str) -> str:
    """A lease event's note in the reader's language. Notes are stored text, written in English:
    the fixed ones the platform writes (``gettext_noop`` in the services: "Instant book", "Not
    paid in time"…) are in the catalogue and read translated; a person's words, and notes with
    names or figures in them, are shown as written."""
    return _(note) if note else note


def _timeline(events: list[LeaseEvent], shipments: list[InboundShipment]) -> list[TimelineItem]:
    """Lease events, plus the shipment steps that have no lease event of their own (in transit):
    announcing, arrival and check-in are already written on the lease."""
    items = []
    for event in events:
        note = note_text(event.note)
        if event.to_state and event.from_state != event.to_state:
            items.append(TimelineItem(event.created_at, str(S(event.to_state).label), note, event.actor))
        else:
            items.append(TimelineItem(event.created_at, note, "", event.actor))
    for shipment in shipments:
        for step in shipment.events.all():
            if step.status == ShipmentStatus.IN_TRANSIT:
                title = _("Shipment %(tracking)s in transit") % {"tracking": shipment.tracking_number}
                items.append(TimelineItem(step.created_at, title, step.note, step.actor))
    return sorted(items, key=lambda item: item.at)


def lease_actions(*, lease: Lease, side: str, shipments: list[InboundShipment]) -> LeaseActions:
    allowed = TRANSITIONS[lease.state]
    actions = LeaseActions()
    if side == OWNER:
        actions.accept = lease.state == S.REQUESTED and S.ACCEPTED in allowed
        actions.decline = lease.state == S.REQUESTED and S.DECLINED in allowed
        # Later shipments are still received once the exporter confirmed what arrived first.
        if lease.state in (S.FUNDED, S.ACTIVE):
            for shipment in shipments:
                if shipment.status == ShipmentStatus.ARRIVED:
                    actions.check_in.append(shipment)
                elif shipment.status in SHIPMENT_FORWARD:
                    following = SHIPMENT_FORWARD[SHIPMENT_FORWARD.index(ShipmentStatus(shipment.status)) + 1]
                    actions.mark.append((shipment, following, _mark_label(following)))
    else:
        actions.withdraw = lease.state in (S.REQUESTED, S.ACCEPTED)
        actions.pay = lease.state == S.ACCEPTED
        actions.announce = lease.state == S.FUNDED
        actions.confirm = lease.state == S.CHECKED_IN and S.ACTIVE in allowed
        # As services.lease_confirmable, from the shipments already loaded.
        actions.confirm_arrived = lease.state == S.FUNDED and any(
            shipment.status == ShipmentStatus.CHECKED_IN for shipment in shipments
        )
    # The exporter disputes the check-in in its window; either side reports damage or loss on an active lease.
    can_dispute = S.DISPUTED in allowed and lease_dispute_open(lease)
    actions.dispute = can_dispute and (side == EXPORTER or lease.state == S.ACTIVE)
    return actions


MARK_LABELS: dict[str, "StrOrPromise"] = {
    ShipmentStatus.IN_TRANSIT: gettext_lazy("Mark in transit"),
    ShipmentStatus.ARRIVED: gettext_lazy("Mark arrived"),
}


def _mark_label(status: str) -> str:
    return str(MARK_LABELS[status])


# --- Dashboards ------------------------------------------------------------------------------


def _state_counts(queryset: QuerySet[Lease]) -> dict[str, int]:
    counts = queryset.aggregate(**{state: Count("pk", filter=Q(state=state)) for state in S.values})
    return {state: counts[state] or 0 for state in S.values}


@dataclass
class OwnerDashboard:
    counts: dict[str, int]
    inbox: QuerySet[Lease]
    shipments: QuerySet[InboundShipment]
    open: QuerySet[Lease]
    closed: QuerySet[Lease]
    payout_account: PayoutAccount | None
    transfers: QuerySet[LeaseTransfer]  # open transfers of the owner's leases, awaiting consent first

    @property
    def open_count(self) -> int:
        return sum(self.counts[state] for state in OPEN_STATES)

    @property
    def closed_count(self) -> int:
        return sum(self.counts[state] for state in CLOSED_STATES)


def owner_dashboard_get(*, organisation: Organisation) -> OwnerDashboard:
    """The owner's leases by what they need: requests to answer, goods to receive, the rest.
    The querysets are lazy; the page paginates them."""
    leases = _with_parties(lease_owned_by(organisation=organisation))
    return OwnerDashboard(
        counts=_state_counts(lease_owned_by(organisation=organisation)),
        inbox=leases.filter(state=S.REQUESTED).order_by("hold_expires_at", "pk"),
        shipments=shipment_owned_by(organisation=organisation)
        .filter(lease__state__in=(S.FUNDED, S.ACTIVE), status__in=SHIPMENTS_TO_RECEIVE)
        .order_by("eta", "pk"),
        open=leases.filter(state__in=OPEN_STATES).order_by("start", "pk"),
        closed=leases.filter(state__in=CLOSED_STATES),
        payout_account=PayoutAccount.objects.filter(organisation=organisation).first(),
        transfers=_with_transfer_parties(
            LeaseTransfer.objects.filter(
                lease__listing__warehouse__organisation=organisation, state__in=OPEN_TRANSFER_STATES
            )
        ).order_by(
            Case(When(state=T.ACCEPTED, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "created_at",
            "pk",
        ),
    )


@dataclass
class ExporterDashboard:
    counts: dict[str, int]
    todo: QuerySet[Lease]
    open: QuerySet[Lease]
    closed: QuerySet[Lease]
    transfers_in: QuerySet[LeaseTransfer]  # offered to this organisation, or taken by it and not yet paid
    transfers_out: QuerySet[LeaseTransfer]  # this organisation's own offers still in progress

    @property
    def open_count(self) -> int:
        return sum(self.counts[state] for state in (S.REQUESTED, *OPEN_STATES))

    @property
    def closed_count(self) -> int:
        return sum(self.counts[state] for state in CLOSED_STATES)


EXPORTER_TODO = (
    Q(state__in=[S.ACCEPTED, S.CHECKED_IN])
    | Q(state=S.FUNDED, has_shipment=False)
    | Q(state=S.FUNDED, has_part_in=True)
)


def exporter_dashboard_get(*, organisation: Organisation) -> ExporterDashboard:
    """The exporter's leases: what needs them (pay, announce, confirm), in progress, closed."""
    shipments = InboundShipment.objects.filter(lease=OuterRef("pk"))
    leases = _with_parties(lease_exported_by(organisation=organisation)).annotate(
        has_shipment=Exists(shipments),
        has_part_in=Exists(shipments.filter(status=ShipmentStatus.CHECKED_IN)),
    )
    offered = Q(to_organisation=organisation, state=T.OFFERED) | Q(
        receiver=organisation, state__in=OPEN_TRANSFER_STATES
    )
    return ExporterDashboard(
        counts=_state_counts(lease_exported_by(organisation=organisation)),
        todo=leases.filter(EXPORTER_TODO).order_by("start", "pk"),
        open=leases.filter(state__in=(S.REQUESTED, *OPEN_STATES)).exclude(EXPORTER_TODO).order_by("start", "pk"),
        closed=leases.filter(state__in=CLOSED_STATES),
        transfers_in=_with_transfer_parties(LeaseTransfer.objects.filter(offered)).order_by("created_at", "pk"),
        transfers_out=_with_transfer_parties(
            LeaseTransfer.objects.filter(lease__exporter=organisation, state__in=OPEN_TRANSFER_STATES)
        ).order_by("created_at", "pk"),
    )


@dataclass(frozen=True)
class NextAction:
    label: str
    url: str = ""  # empty: nothing to click, the label says who acts


# The exporter's buttons on a dashboard row, per state: (label, url name taking the lease pk).
EXPORTER_BUTTONS: dict[str, tuple["StrOrPromise", str]] = {
    S.ACCEPTED: (gettext_lazy("Pay into escrow"), "leasing:lease_pay"),
    S.FUNDED: (gettext_lazy("Announce shipment"), "leasing:shipment_create"),
    S.CHECKED_IN: (gettext_lazy("Confirm or dispute"), "leasing:lease_detail"),
}


def exporter_next_action(lease: Any) -> NextAction:
    """The exporter's next step for a dashboard row (``has_shipment`` and ``has_part_in`` annotated)."""
    if lease.state == S.FUNDED and getattr(lease, "has_part_in", False):
        return NextAction(_("Confirm what arrived"), reverse("leasing:lease_detail", args=[lease.pk]))
    if lease.state == S.FUNDED and getattr(lease, "has_shipment", False):
        return NextAction(_("Goods on their way"))
    if lease.state in EXPORTER_BUTTONS:
        label, name = EXPORTER_BUTTONS[lease.state]
        return NextAction(str(label), reverse(name, args=[lease.pk]))
    return NextAction(str(NEXT_STEP.get((EXPORTER, lease.state), "")))


# --- Transfers -----------------------------------------------------------------------------

OFFERER, RECEIVER = "offerer", "receiver"


def _with_transfer_parties(queryset: QuerySet[LeaseTransfer]) -> QuerySet[LeaseTransfer]:
    return queryset.select_related(
        "lease__listing__warehouse__organisation", "lease__exporter", "to_organisation", "receiver", "new_lease"
    )


def transfer_visible_to(*, organisation: Organisation, key: str = "") -> QuerySet[LeaseTransfer]:
    """Transfers ``organisation`` takes part in: as the offering exporter, the owner, the named or
    actual receiver; and, for an exporter holding its link (``key``), an open offer to anyone while
    nobody has taken it."""
    parties = (
        Q(lease__exporter=organisation)
        | Q(lease__listing__warehouse__organisation=organisation)
        | Q(to_organisation=organisation)
        | Q(receiver=organisation)
    )
    if organisation.is_exporter and key:
        parties |= Q(to_organisation=None, state=T.OFFERED, token=key)
    return _with_transfer_parties(LeaseTransfer.objects.filter(parties))


def transfer_owned_by(*, organisation: Organisation) -> QuerySet[LeaseTransfer]:
    """Transfers of leases on ``organisation``'s listings (the owner consents to them)."""
    return _with_transfer_parties(LeaseTransfer.objects.filter(lease__listing__warehouse__organisation=organisation))


def transfer_offered_by(*, organisation: Organisation) -> QuerySet[LeaseTransfer]:
    """Transfers ``organisation`` offered, as the exporter of the lease handed on."""
    return _with_transfer_parties(LeaseTransfer.objects.filter(lease__exporter=organisation))


@dataclass
class TransferDetail:
    transfer: LeaseTransfer
    role: str  # OFFERER, OWNER or RECEIVER (the named receiver, the one who took it, or an open offer's reader)
    value: transfers.TransferValue | None = None  # what the offering exporter gets back, while it is open
    value_problem: str = ""  # why the terms no longer hold, if they do not
    can_accept: bool = False
    can_consent: bool = False
    can_withdraw: bool = False
    can_pay: bool = False

    @property
    def lease(self) -> Lease:
        return self.transfer.lease

    @property
    def end(self) -> date:
        return self.transfer.lease.end

    @property
    def days(self) -> int:
        return (self.transfer.lease.end - self.transfer.start).days + 1


def transfer_detail_get(*, transfer: LeaseTransfer, organisation: Organisation) -> TransferDetail:
    """What the transfer page shows to ``organisation`` (which can see it: ``transfer_visible_to``)."""
    lease = transfer.lease
    if organisation.pk == lease.exporter_id:
        role = OFFERER
    elif organisation.pk == lease.owner.pk:
        role = OWNER
    else:
        role = RECEIVER
    detail = TransferDetail(transfer=transfer, role=role)
    detail.can_accept = role == RECEIVER and transfer.state == T.OFFERED and organisation.is_exporter
    detail.can_consent = role == OWNER and transfer.state == T.ACCEPTED
    detail.can_withdraw = role == OFFERER and transfer.is_open
    new_lease = transfer.new_lease
    detail.can_pay = (
        role == RECEIVER
        and transfer.receiver_id == organisation.pk
        and transfer.state == T.APPROVED
        and new_lease is not None
        and new_lease.state == S.ACCEPTED
    )
    if role in (OFFERER, OWNER) and transfer.is_open:
        try:
            detail.value = transfers.transfer_value(lease, quantity=transfer.quantity, start=transfer.start)
        except InvalidTransfer as error:
            detail.value_problem = error.detail
    return detail


def transfer_value_or_none(lease: Lease, *, quantity: int | None, start: date | None) -> transfers.TransferValue | None:
    """The value of handing on ``quantity`` from ``start``, or None if the terms are not allowed."""
    if not quantity or not start:
        return None
    try:
        return transfers.transfer_value(lease, quantity=quantity, start=start)
    except InvalidTransfer:
        return None


def lease_units_on(lease: Lease, day: date) -> int:
    """Units ``lease`` holds on ``day`` (a transfer may have moved some of them out)."""
    return _held_on(lease, day)


def transfer_receivers(*, lease: Lease) -> QuerySet[Organisation]:
    """Organisations a transfer of ``lease`` can be offered to: verified exporters, other than the
    lease's own exporter and owner."""
    return (
        Organisation.objects.filter(is_exporter=True, verification_status=VerificationStatus.VERIFIED)
        .exclude(pk__in=[lease.exporter_id, lease.listing.warehouse.organisation_id])
        .order_by("name")
    )


# --- Extension and cancellation ---------------------------------------------------------------


def extension_quote(lease: Lease, *, end: date) -> Quote | None:
    """The price of keeping the units the lease holds on its last day until ``end`` (no handling:
    the goods are already in), as ``services.lease_extend`` will charge it; None if it holds none."""
    quantity = _held_on(lease, lease.end)
    if quantity < 1:
        return None
    return listing_quote(
        listing=lease.listing, start=lease.end + timedelta(days=1), end=end, quantity=quantity, handling=False
    )


def _refund_words(percent: int) -> str:
    if percent == 100:
        return _("a full refund")
    if percent == 0:
        return _("no refund")
    return _("a %(percent)s%% refund") % {"percent": percent}


def policy_rule(policy: str) -> str:
    """The policy in words, from the same table the refunds are worked out with."""
    hours, before, after = schedule.POLICIES[policy]
    if hours > 24 and hours % 24 == 0:
        when = ngettext("%(count)s day", "%(count)s days", hours // 24) % {"count": hours // 24}
    else:
        when = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return _("%(before)s until %(when)s before the start; %(after)s after.") % {
        "before": capfirst(_refund_words(before)),
        "when": when,
        "after": _refund_words(after),
    }


@dataclass(frozen=True)
class CancellationRow:
    line: schedule.CancellationLine
    until: datetime | None  # when this period's refund drops to the policy's lower percentage


@dataclass
class CancellationView:
    lease: Lease
    side: str
    quote: schedule.CancellationQuote
    policy: str  # the policy's name
    rule: str  # the policy in words
    rows: list[CancellationRow]
    released: list[Instalment]  # instalments already paid out to the owner: not refundable

    @property
    def by_owner(self) -> bool:
        return self.side == CancelledBy.OWNER

    @property
    def released_months(self) -> str:
        """The released instalments' numbers: "1, 2"."""
        return ", ".join(str(item.sequence) for item in self.released)


def lease_cancellation_get(*, lease: Lease, side: str) -> CancellationView:
    """The confirmation page's figures: ``services.lease_cancel_quote`` line by line, with when
    each line's refund would drop, and the policy in words."""
    quote = lease_cancel_quote(lease=lease, side=side)
    policy = lease.listing.cancellation_policy
    hours, before, after = schedule.POLICIES[policy]
    rows = []
    for line in quote.lines:
        until = None
        if side == CancelledBy.EXPORTER and before != after and line.percent == before:
            until = schedule.starts_at(lease, line.instalment.start) - timedelta(hours=hours)
        rows.append(CancellationRow(line=line, until=until))
    released = [item for item in lease.instalments.all() if item.status == InstalmentStatus.RELEASED]
    return CancellationView(
        lease=lease,
        side=side,
        quote=quote,
        policy=lease.listing.get_cancellation_policy_display(),
        rule=policy_rule(policy),
        rows=rows,
        released=released,
    )
