"""Reads only the inventory pages need, beside ``inventory.selectors`` (which the API shares):
the choices of the stock filters, stock summed per SKU over a filtered set of levels, what the
lease page shows, and the staff console's read-only lists. Each runs a fixed number of queries."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from accounts.models import Organisation
from leasing.models import Lease
from warehouses.models import Warehouse

from .choices import OPEN_ORDER_STATUSES
from .models import OutboundOrder, StockLevel, StockMovement

ORDER_RELATED = ("lease__listing__warehouse__organisation", "lease__exporter", "requested_by")


def stock_warehouses_of(organisation: Organisation) -> QuerySet[Warehouse]:
    """The warehouses where ``organisation`` has (or had) stock: the warehouse filter's choices."""
    return (
        Warehouse.objects.filter(listings__leases__stock_levels__lease__exporter=organisation)
        .distinct()
        .order_by("name")
    )


def stock_leases_of(organisation: Organisation) -> QuerySet[Lease]:
    """The exporter's leases that hold (or held) stock: the lease filter's choices."""
    return (
        Lease.objects.filter(exporter=organisation, stock_levels__isnull=False)
        .select_related("listing__warehouse")
        .distinct()
        .order_by("-pk")
    )


def stock_per_sku(levels: QuerySet[StockLevel]) -> QuerySet[Any]:
    """``levels`` summed per product: rows of product id, SKU, description, on hand, held, free
    (not held) and the number of warehouses."""
    return (
        levels.order_by()
        .values("product_id", "product__sku", "product__description")
        .annotate(
            on_hand=Sum("on_hand"),
            held=Sum("held"),
            warehouses=Count("lease__listing__warehouse", distinct=True),
        )
        .annotate(free=F("on_hand") - F("held"))
        .order_by("product__sku", "product_id")
    )


def movements_related(movements: QuerySet[StockMovement]) -> QuerySet[StockMovement]:
    """What a ledger row shows: the product, the lease's warehouse, who, and the order."""
    return movements.select_related("product", "lease__listing__warehouse", "actor", "order").prefetch_related("photos")


def orders_related(orders: QuerySet[OutboundOrder]) -> QuerySet[OutboundOrder]:
    """What an order row shows: its lease and warehouse, both organisations, its lines counted."""
    return orders.select_related(*ORDER_RELATED).annotate(
        line_count=Count("lines", distinct=True), units=Sum("lines__quantity")
    )


@dataclass
class LeaseStock:
    """The Stock section of the lease page."""

    lease: Lease
    is_owner: bool
    levels: list[StockLevel] = field(default_factory=list)
    open_orders: list[OutboundOrder] = field(default_factory=list)
    can_order: bool = False
    can_adjust: bool = False

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.levels)

    @property
    def held(self) -> int:
        return sum(level.held for level in self.levels)


def lease_had_goods(lease: Lease) -> bool:
    return StockMovement.objects.filter(lease=lease).exists()


def lease_open_orders(lease: Lease) -> list[OutboundOrder]:
    orders = OutboundOrder.objects.filter(lease=lease, status__in=OPEN_ORDER_STATUSES).order_by("created_at", "pk")
    return list(orders.annotate(units=Sum("lines__quantity")))


# --- The staff console (read-only) ---------------------------------------------------------------


def staff_stock(search: str = "") -> QuerySet[StockLevel]:
    """Every stock level with goods on hand or held, by exporter then SKU (``search``: SKU or organisation)."""
    levels = StockLevel.objects.filter(Q(on_hand__gt=0) | Q(held__gt=0)).select_related(
        "product", "lease__exporter", "lease__listing__warehouse__organisation"
    )
    if search:
        levels = levels.filter(
            Q(product__sku__icontains=search)
            | Q(lease__exporter__name__icontains=search)
            | Q(lease__listing__warehouse__organisation__name__icontains=search)
        )
    return levels.order_by("lease__exporter__name", "product__sku", "lease_id")


def staff_orders(status: str = "") -> QuerySet[OutboundOrder]:
    """Every outbound order, newest first (``status``: only those in it)."""
    orders = orders_related(OutboundOrder.objects.all())
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-pk").prefetch_related(Prefetch("events"))


def lease_movements(lease: Lease) -> QuerySet[StockMovement]:
    """A lease's ledger, newest first (the caller found the lease through the viewer's organisation)."""
    return StockMovement.objects.filter(lease=lease).order_by("-created_at", "-pk")
