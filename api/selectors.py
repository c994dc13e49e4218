"""Reads the API needs beyond the pages' selectors. Querysets only, loaded in a fixed number of
queries however many rows a page has."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Organisation
from escrow.ledger import escrow_held
from escrow.models import Escrow, Payment, Payout, Posting, Refund
from inventory.models import (
    AdjustmentPhoto,
    OrderEvent,
    OutboundLine,
    OutboundOrder,
    Product,
    StockLevel,
    StockMovement,
)
from leasing.models import CheckInPhoto, InboundShipment, Lease, ShipmentLine
from leasing.selectors import lease_visible_to
from warehouses.choices import ListingStatus
from warehouses.models import Listing, Warehouse


def listing_visible(*, organisation: Organisation | None) -> QuerySet[Listing]:
    """Active listings, and every listing of ``organisation`` (drafts and paused ones too)."""
    visible = Q(status=ListingStatus.ACTIVE)
    if organisation is not None:
        visible |= Q(warehouse__organisation=organisation)
    return Listing.objects.filter(visible).select_related("warehouse__organisation", "warehouse__nearest_port")


def warehouse_visible(*, organisation: Organisation | None) -> QuerySet[Warehouse]:
    """Warehouses with an active listing, and every warehouse of ``organisation``."""
    visible = Q(Exists(Listing.objects.filter(warehouse=OuterRef("pk"), status=ListingStatus.ACTIVE)))
    if organisation is not None:
        visible |= Q(organisation=organisation)
    return Warehouse.objects.filter(visible).select_related("organisation", "nearest_port").prefetch_related("photos")


def lease_api_queryset(*, organisation: Organisation) -> QuerySet[Lease]:
    return lease_visible_to(organisation=organisation).select_related("listing__warehouse__organisation", "exporter")


def shipment_visible(*, organisation: Organisation) -> QuerySet[InboundShipment]:
    """Shipments of leases ``organisation`` takes part in, with lines, counts and check-in."""
    return (
        InboundShipment.objects.filter(
            Q(lease__exporter=organisation) | Q(lease__listing__warehouse__organisation=organisation)
        )
        .select_related("checkin__recorded_by")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("received")),
            Prefetch("checkin__photos", queryset=CheckInPhoto.objects.order_by("pk")),
        )
    )


def checkin_photo_visible(*, organisation: Organisation) -> QuerySet[CheckInPhoto]:
    """Check-in photos of the leases ``organisation`` takes part in (the owner or the exporter)."""
    return CheckInPhoto.objects.filter(
        Q(checkin__shipment__lease__exporter=organisation)
        | Q(checkin__shipment__lease__listing__warehouse__organisation=organisation)
    )


@dataclass
class EscrowSummary:
    lease: int
    currency: str
    frozen: bool
    held: Decimal
    payments: list[Payment]
    payouts: list[Payout]
    refunds: list[Refund]
    postings: list[Posting]


def escrow_summary(*, lease: Lease) -> EscrowSummary | None:
    """What the escrow of ``lease`` holds, how money moved, and its ledger postings."""
    escrow = Escrow.objects.filter(lease=lease).first()
    if escrow is None:
        return None
    return EscrowSummary(
        lease=lease.pk,
        currency=escrow.currency,
        frozen=escrow.frozen,
        held=escrow_held(escrow),
        payments=list(escrow.payments.all()),
        payouts=list(escrow.payouts.all()),
        refunds=list(escrow.refunds.all()),
        postings=list(escrow.postings.prefetch_related("entries")),
    )


# --- Goods in the warehouse (inventory) ------------------------------------------------------
# Stock, movements and outbound orders belong to a lease: both of its sides see them, as on the lease
# page (``inventory.selectors.lease_stock``, ``order_visible``); another organisation gets a 404.


def _lease_party(organisation: Organisation, prefix: str = "lease__") -> Q:
    return Q(**{f"{prefix}exporter": organisation}) | Q(**{f"{prefix}listing__warehouse__organisation": organisation})


def product_api_queryset(*, organisation: Organisation) -> QuerySet[Product]:
    """The products (SKUs) of ``organisation``: only the exporter that owns a product sees it here."""
    return Product.objects.filter(organisation=organisation)


def stock_visible(*, organisation: Organisation) -> QuerySet[StockLevel]:
    """Stock levels on the leases ``organisation`` takes part in (its own goods, or goods at its warehouses)."""
    return StockLevel.objects.filter(_lease_party(organisation)).select_related("product", "lease__listing__warehouse")


def movements_visible(*, organisation: Organisation) -> QuerySet[StockMovement]:
    """The stock ledger of the leases ``organisation`` takes part in, with each adjustment's photos."""
    return (
        StockMovement.objects.filter(_lease_party(organisation))
        .select_related("product", "actor")
        .prefetch_related(Prefetch("photos", queryset=AdjustmentPhoto.objects.order_by("pk")))
    )


def adjustment_photo_visible(*, organisation: Organisation) -> QuerySet[AdjustmentPhoto]:
    return AdjustmentPhoto.objects.filter(_lease_party(organisation, "movement__lease__"))


def orders_visible(*, organisation: Organisation) -> QuerySet[OutboundOrder]:
    """Outbound orders of the leases ``organisation`` takes part in: the exporter's own, and those at the
    owner's warehouses (``inventory.selectors.order_visible``'s rule), with their lines."""
    return (
        OutboundOrder.objects.filter(_lease_party(organisation))
        .select_related("lease__listing__warehouse", "lease__exporter", "requested_by")
        .prefetch_related(Prefetch("lines", queryset=OutboundLine.objects.select_related("product")))
    )


def order_events(order: OutboundOrder) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).select_related("actor"))
