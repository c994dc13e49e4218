"""Reads for the lease pages: what an organisation may see, and what each side can do next.

Every function returns querysets or plain data built in a fixed number of queries, whatever the
number of leases, shipments or events. Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from accounts.models import Organisation, User
from escrow.ledger import escrow_held
from escrow.models import Escrow, Payment, Payout, PayoutAccount, Refund
from trust.models import Dispute
from trust.selectors import dispute_latest_for, review_written
from warehouses.pricing import Quote

from .choices import LeaseState, ShipmentStatus
from .models import CheckInPhoto, InboundShipment, Lease, LeaseEvent, ShipmentEvent, ShipmentLine
from .services import SHIPMENT_FORWARD, TRANSITIONS, lease_dispute_open

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
DEADLINES: dict[str, tuple[str, dict[str, str]]] = {
    S.REQUESTED: ("hold_expires_at", {OWNER: "Answer by", EXPORTER: "The owner answers by"}),
    S.ACCEPTED: ("payment_due_at", {OWNER: "The exporter pays by", EXPORTER: "Pay by"}),
    S.CHECKED_IN: ("confirm_by", {OWNER: "The exporter confirms by", EXPORTER: "Confirm or dispute by"}),
}
SHIPMENTS_TO_RECEIVE = (ShipmentStatus.ANNOUNCED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED)

# What the viewer does next, per (side, state); None where the other side or nobody acts.
NEXT_STEP: dict[tuple[str, str], str] = {
    (OWNER, S.REQUESTED): "Accept or decline",
    (OWNER, S.FUNDED): "Receive the shipment",
    (OWNER, S.DISPUTED): "Wareshare is reviewing",
    (EXPORTER, S.REQUESTED): "Waiting for the owner",
    (EXPORTER, S.ACCEPTED): "Pay into escrow",
    (EXPORTER, S.FUNDED): "Announce your shipment",
    (EXPORTER, S.CHECKED_IN): "Confirm or dispute the check-in",
    (EXPORTER, S.DISPUTED): "Wareshare is reviewing",
    (OWNER, S.ACCEPTED): "Waiting for payment",
    (OWNER, S.CHECKED_IN): "Waiting for the exporter to confirm",
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
    dispute: bool = False
    # shipment -> the status the owner can mark next (in transit, arrived)
    mark: list[tuple[InboundShipment, str, str]] = field(default_factory=list)
    check_in: list[InboundShipment] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return any(
            [self.accept, self.decline, self.withdraw, self.pay, self.announce, self.confirm, self.dispute]
        ) or bool(self.mark or self.check_in)


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

    @property
    def is_owner(self) -> bool:
        return self.side == OWNER

    @property
    def next_step(self) -> str:
        return NEXT_STEP.get((self.side, self.lease.state), "")

    @property
    def deadline(self) -> tuple[str, datetime] | None:
        """What must happen by when in the current state, if a clock runs."""
        if self.lease.state not in DEADLINES:
            return None
        name, labels = DEADLINES[self.lease.state]
        when = getattr(self.lease, name)
        return (labels[self.side], when) if when else None


def lease_detail_queryset(*, organisation: Organisation) -> QuerySet[Lease]:
    return _with_parties(lease_visible_to(organisation=organisation)).select_related("escrow")


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
        actions=lease_actions(lease=lease, side=side, shipments=shipments),
        dispute=dispute_latest_for(lease=lease),
        review_due=review_due,
    )


def _timeline(events: list[LeaseEvent], shipments: list[InboundShipment]) -> list[TimelineItem]:
    """Lease events, plus the shipment steps that have no lease event of their own (in transit):
    announcing, arrival and check-in are already written on the lease."""
    items = []
    for event in events:
        if event.to_state and event.from_state != event.to_state:
            items.append(TimelineItem(event.created_at, S(event.to_state).label, event.note, event.actor))
        else:
            items.append(TimelineItem(event.created_at, event.note, "", event.actor))
    for shipment in shipments:
        for step in shipment.events.all():
            if step.status == ShipmentStatus.IN_TRANSIT:
                title = f"Shipment {shipment.tracking_number} in transit"
                items.append(TimelineItem(step.created_at, title, step.note, step.actor))
    return sorted(items, key=lambda item: item.at)


def lease_actions(*, lease: Lease, side: str, shipments: list[InboundShipment]) -> LeaseActions:
    allowed = TRANSITIONS[lease.state]
    actions = LeaseActions()
    if side == OWNER:
        actions.accept = lease.state == S.REQUESTED and S.ACCEPTED in allowed
        actions.decline = lease.state == S.REQUESTED and S.DECLINED in allowed
        if lease.state == S.FUNDED:
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
    # The exporter disputes the check-in in its window; either side reports damage or loss on an active lease.
    can_dispute = S.DISPUTED in allowed and lease_dispute_open(lease)
    actions.dispute = can_dispute and (side == EXPORTER or lease.state == S.ACTIVE)
    return actions


MARK_LABELS: dict[str, str] = {ShipmentStatus.IN_TRANSIT: "Mark in transit", ShipmentStatus.ARRIVED: "Mark arrived"}


def _mark_label(status: str) -> str:
    return MARK_LABELS[status]


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
        .filter(lease__state=S.FUNDED, status__in=SHIPMENTS_TO_RECEIVE)
        .order_by("eta", "pk"),
        open=leases.filter(state__in=OPEN_STATES).order_by("start", "pk"),
        closed=leases.filter(state__in=CLOSED_STATES),
        payout_account=PayoutAccount.objects.filter(organisation=organisation).first(),
    )


@dataclass
class ExporterDashboard:
    counts: dict[str, int]
    todo: QuerySet[Lease]
    open: QuerySet[Lease]
    closed: QuerySet[Lease]

    @property
    def open_count(self) -> int:
        return sum(self.counts[state] for state in (S.REQUESTED, *OPEN_STATES))

    @property
    def closed_count(self) -> int:
        return sum(self.counts[state] for state in CLOSED_STATES)


EXPORTER_TODO = Q(state__in=[S.ACCEPTED, S.CHECKED_IN]) | Q(state=S.FUNDED, has_shipment=False)


def exporter_dashboard_get(*, organisation: Organisation) -> ExporterDashboard:
    """The exporter's leases: what needs them (pay, announce, confirm), in progress, closed."""
    leases = _with_parties(lease_exported_by(organisation=organisation)).annotate(
        has_shipment=Exists(InboundShipment.objects.filter(lease=OuterRef("pk")))
    )
    return ExporterDashboard(
        counts=_state_counts(lease_exported_by(organisation=organisation)),
        todo=leases.filter(EXPORTER_TODO).order_by("start", "pk"),
        open=leases.filter(state__in=(S.REQUESTED, *OPEN_STATES)).exclude(EXPORTER_TODO).order_by("start", "pk"),
        closed=leases.filter(state__in=CLOSED_STATES),
    )


@dataclass(frozen=True)
class NextAction:
    label: str
    url: str = ""  # empty: nothing to click, the label says who acts


# The exporter's buttons on a dashboard row, per state: (label, url name taking the lease pk).
EXPORTER_BUTTONS: dict[str, tuple[str, str]] = {
    S.ACCEPTED: ("Pay into escrow", "leasing:lease_pay"),
    S.FUNDED: ("Announce shipment", "leasing:shipment_create"),
    S.CHECKED_IN: ("Confirm or dispute", "leasing:lease_detail"),
}


def exporter_next_action(lease: Any) -> NextAction:
    """The exporter's next step for a dashboard row (``has_shipment`` annotated)."""
    if lease.state == S.FUNDED and getattr(lease, "has_shipment", False):
        return NextAction("Goods on their way")
    if lease.state in EXPORTER_BUTTONS:
        label, name = EXPORTER_BUTTONS[lease.state]
        return NextAction(label, reverse(name, args=[lease.pk]))
    return NextAction(NEXT_STEP.get((EXPORTER, lease.state), ""))
