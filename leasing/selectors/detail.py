"""The lease page: everything it shows, and what the viewer may do now (read from ``leasing.rules``)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Organisation, User
from escrow.ledger import escrow_held
from escrow.models import Escrow, Payment, Payout, Refund
from warehouses.pricing import Quote

from .. import rules, schedule, transfers
from ..choices import Billing, InstalmentStatus, LeaseOrigin, LeaseState, ShipmentStatus
from ..choices import TransferState as T
from ..core import lease_today
from ..hooks import lease_page_extras
from ..models import (
    CheckInPhoto,
    InboundShipment,
    Instalment,
    Lease,
    LeaseEvent,
    LeaseTransfer,
    ShipmentEvent,
    ShipmentLine,
)
from ..rules import OWNER
from .cancellation import policy_rule
from .visibility import (
    DEADLINES,
    NEXT_STEP,
    date_text,
    lease_breakdown,
    lease_url,
    lease_visible_to,
    note_text,
    with_parties,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = LeaseState


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
    # Billed monthly: the next month may be paid by hand (after a failed charge, or early).
    pay_instalment: bool = False
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
                self.pay_instalment,
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
    # What apps above leasing add to the page (``hooks.lease_page_extras``): trust adds ``dispute``
    # (the latest, open or resolved) and ``review_due`` (complete, and the viewer has not reviewed it).
    extras: dict[str, Any] = field(default_factory=dict)
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
        today = lease_today(self.lease)
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
    return with_parties(lease_visible_to(organisation=organisation)).select_related(
        "escrow", "parent__exporter", "transfer_in"
    )


def lease_detail_get(*, lease: Lease, organisation: Organisation) -> LeaseDetail:
    """Everything the lease page shows, in a fixed number of queries. ``lease`` comes from
    ``lease_detail_queryset`` (parties and escrow joined)."""
    side = rules.side_of(lease, organisation.pk)
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
        extras=lease_page_extras(lease, organisation),
        instalments=list(lease.instalments.all()),
        related=_related(lease, children, side),
        transfers=lease_transfers,
        changes=_changes(lease, organisation, side, children, lease_transfers, escrow),
    )


lease_live_extension = rules.live_extension


def _related(lease: Lease, children: list[Lease], side: str) -> list[RelatedLease]:
    """The lease this one continues, then those continuing it, each linked where the viewer may look."""
    items = []
    parent = lease.parent
    if parent is not None:
        if lease.origin == LeaseOrigin.TRANSFER:
            transfer_in = getattr(lease, "transfer_in", None)
            url = lease_url(parent) if side == OWNER or transfer_in is None else transfers.transfer_path(transfer_in)
            label = _("Transferred from lease #%(lease)s (%(exporter)s)") % {
                "lease": parent.pk,
                "exporter": parent.exporter,
            }
        else:
            url, label = lease_url(parent), _("Extends lease #%(lease)s") % {"lease": parent.pk}
        items.append(RelatedLease(label, url, parent.state))
    for child in children:
        if child.origin == LeaseOrigin.TRANSFER:
            transfer_in = getattr(child, "transfer_in", None)
            url = lease_url(child) if side == OWNER or transfer_in is None else transfers.transfer_path(transfer_in)
            label = ngettext(
                "Transferred to %(exporter)s: lease #%(lease)s, %(count)s unit from %(date)s",
                "Transferred to %(exporter)s: lease #%(lease)s, %(count)s units from %(date)s",
                child.quantity,
            ) % {"exporter": child.exporter, "lease": child.pk, "count": child.quantity, "date": date_text(child.start)}
        else:
            url = lease_url(child)
            label = _("Extension: lease #%(lease)s, until %(date)s") % {"lease": child.pk, "date": date_text(child.end)}
        items.append(RelatedLease(label, url, child.state))
    return items


def _changes(
    lease: Lease,
    organisation: Organisation,
    side: str,
    children: list[Lease],
    lease_transfers: list[LeaseTransfer],
    escrow: Escrow | None,
) -> LeaseChanges:
    return LeaseChanges(
        cancel=rules.cancel_side(lease, organisation.pk, escrow=escrow) or "",
        extend=bool(rules.extend(lease, side, children)),
        transfer=bool(rules.transfer(lease, side, lease_transfers)),
        open_transfer=next((item for item in lease_transfers if item.is_open), None),
    )


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
    """What ``side`` may do now: each flag is the rule's verdict (``leasing.rules``), as the service decides."""
    actions = LeaseActions(
        accept=bool(rules.accept(lease, side)),
        decline=bool(rules.decline(lease, side)),
        withdraw=bool(rules.withdraw(lease, side)),
        pay=bool(rules.pay(lease, side)),
        pay_instalment=bool(rules.pay_instalment(lease, side)),
        announce=bool(rules.announce(lease, side)),
        dispute=bool(rules.dispute(lease, side)),
    )
    confirm = bool(rules.confirm(lease, side, shipments))
    actions.confirm = confirm and lease.state == S.CHECKED_IN
    # Part of the goods is checked in and other shipments are still to come: confirm what arrived.
    actions.confirm_arrived = confirm and lease.state == S.FUNDED
    for shipment in shipments:
        if rules.check_in(lease, side, shipment):
            actions.check_in.append(shipment)
        elif (following := rules.mark_next(shipment)) and rules.mark(lease, side, shipment, following):
            actions.mark.append((shipment, following, _mark_label(following)))
    return actions


MARK_LABELS: dict[str, "StrOrPromise"] = {
    ShipmentStatus.IN_TRANSIT: gettext_lazy("Mark in transit"),
    ShipmentStatus.ARRIVED: gettext_lazy("Mark arrived"),
}


def _mark_label(status: str) -> str:
    return str(MARK_LABELS[status])


@dataclass(frozen=True)
class InstalmentRow:
    """One month of a lease's schedule with how its payment stands (monthly billing; API and pages)."""

    sequence: int
    start: date
    end: date
    amount: Decimal
    fee: Decimal
    gross: Decimal
    status: str
    payment_status: str  # the latest payment attempt's status for this month; "" if none
    charge_tries: int
    charge_from: date | None  # billed monthly, a month after the first: the first automatic charge's day


def lease_instalments(lease: Lease) -> list[InstalmentRow]:
    """The lease's instalments with their payment status, in two queries. Billed up front, the one
    payment pays every instalment."""
    latest: dict[int, str] = {}
    for instalment, status in (
        Payment.objects.filter(escrow__lease_id=lease.pk)
        .order_by("instalment", "attempt")
        .values_list("instalment", "status")
    ):
        latest[instalment] = status
    monthly = lease.billing == Billing.MONTHLY
    return [
        InstalmentRow(
            sequence=item.sequence,
            start=item.start,
            end=item.end,
            amount=item.amount,
            fee=item.fee,
            gross=item.gross,
            status=item.status,
            payment_status=latest.get(item.sequence if monthly else 1, ""),
            charge_tries=item.charge_tries,
            charge_from=item.start - timedelta(days=schedule.CHARGE_DAYS_BEFORE)
            if monthly and item.sequence > 1
            else None,
        )
        for item in lease.instalments.order_by("sequence")
    ]
