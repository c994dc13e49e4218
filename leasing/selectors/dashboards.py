"""The owner's and the exporter's dashboards."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organisation
from escrow.models import PayoutAccount

from .. import rules
from ..choices import OPEN_TRANSFER_STATES, LeaseState, ShipmentStatus
from ..choices import TransferState as T
from ..models import (
    InboundShipment,
    Lease,
    LeaseTransfer,
)
from ..rules import EXPORTER
from .transfers import with_transfer_parties
from .visibility import (
    CLOSED_STATES,
    NEXT_STEP,
    OPEN_STATES,
    SHIPMENTS_TO_RECEIVE,
    lease_exported_by,
    lease_owned_by,
    shipment_owned_by,
    with_parties,
)

if TYPE_CHECKING:
    pass

S = LeaseState


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
    leases = with_parties(lease_owned_by(organisation=organisation))
    return OwnerDashboard(
        counts=_state_counts(lease_owned_by(organisation=organisation)),
        inbox=leases.filter(state=S.REQUESTED).order_by("hold_expires_at", "pk"),
        shipments=shipment_owned_by(organisation=organisation)
        .filter(lease__state__in=(S.FUNDED, S.ACTIVE), status__in=SHIPMENTS_TO_RECEIVE)
        .order_by("eta", "pk"),
        open=leases.filter(state__in=OPEN_STATES).order_by("start", "pk"),
        closed=leases.filter(state__in=CLOSED_STATES),
        payout_account=PayoutAccount.objects.filter(organisation=organisation).first(),
        transfers=with_transfer_parties(
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
    leases = with_parties(lease_exported_by(organisation=organisation)).annotate(
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
        transfers_in=with_transfer_parties(LeaseTransfer.objects.filter(offered)).order_by("created_at", "pk"),
        transfers_out=with_transfer_parties(
            LeaseTransfer.objects.filter(lease__exporter=organisation, state__in=OPEN_TRANSFER_STATES)
        ).order_by("created_at", "pk"),
    )


@dataclass(frozen=True)
class NextAction:
    label: str
    url: str = ""  # empty: nothing to click, the label says who acts


def exporter_next_action(lease: Any) -> NextAction:
    """The exporter's next step for a dashboard row (``has_shipment`` and ``has_part_in`` annotated):
    the first action ``leasing.rules`` allows, else a line saying who acts next."""
    detail = reverse("leasing:lease_detail", args=[lease.pk])
    if rules.pay(lease, EXPORTER):
        return NextAction(_("Pay into escrow"), reverse("leasing:lease_pay", args=[lease.pk]))
    if rules.confirm(lease, EXPORTER, part_in=lease.has_part_in):
        return NextAction(_("Confirm or dispute") if lease.state == S.CHECKED_IN else _("Confirm what arrived"), detail)
    if rules.announce(lease, EXPORTER):
        if lease.has_shipment:
            return NextAction(_("Goods on their way"))
        return NextAction(_("Announce shipment"), reverse("leasing:shipment_create", args=[lease.pk]))
    return NextAction(str(NEXT_STEP.get((EXPORTER, lease.state), "")))
