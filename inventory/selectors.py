"""Inventory's reads, each in a fixed number of queries; visibility by organisation (404 otherwise)."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from accounts.models import Organisation
from leasing.models import Lease
from warehouses.models import Warehouse

from .choices import OPEN_ORDER_STATUSES
from .models import OutboundOrder, Product, StockLevel, StockMovement

__all__ = [
    "lease_stock",
    "movements_of",
    "order_visible",
    "orders_of_exporter",
    "outbound_queue",
    "product_visible",
    "products_of",
    "stock_by_product",
    "stock_levels_of",
]


def products_of(organisation: Organisation) -> QuerySet[Product]:
    """The organisation's products, by SKU."""
    return Product.objects.filter(organisation=organisation).order_by("sku", "pk")


def product_visible(organisation: Organisation, pk: int | str) -> Product:
    """One product of ``organisation``; Http404 for any other (another organisation's included)."""
    product = products_of(organisation).filter(pk=pk).first() if str(pk).isdigit() else None
    if product is None:
        raise Http404("No such product")
    return product


def stock_levels_of(
    organisation: Organisation,
    *,
    warehouse: Warehouse | int | None = None,
    product: Product | int | None = None,
    lease: Lease | int | None = None,
) -> QuerySet[StockLevel]:
    """The exporter's stock per (lease, product), with something on hand or held."""
    levels = (
        StockLevel.objects.filter(lease__exporter=organisation)
        .filter(Q(on_hand__gt=0) | Q(held__gt=0))
        .select_related("lease__listing__warehouse", "product")
        .order_by("product__sku", "lease_id")
    )
    if warehouse is not None:
        levels = levels.filter(lease__listing__warehouse=warehouse)
    if product is not None:
        levels = levels.filter(product=product)
    if lease is not None:
        levels = levels.filter(lease=lease)
    return levels


def stock_by_product(organisation: Organisation) -> list[dict]:
    """Per SKU of the organisation: ``product`` (id), ``sku``, ``description``, ``on_hand``,
    ``held`` (on accepted orders) and ``available``, summed over every lease and warehouse. One query."""
    rows = (
        StockLevel.objects.filter(lease__exporter=organisation, product__organisation=organisation)
        .values("product", "product__sku", "product__description")
        .annotate(on_hand=Sum("on_hand"), held=Sum("held"))
        .order_by("product__sku", "product")
    )
    return [
        {
            "product": row["product"],
            "sku": row["product__sku"],
            "description": row["product__description"],
            "on_hand": row["on_hand"] or 0,
            "held": row["held"] or 0,
            "available": (row["on_hand"] or 0) - (row["held"] or 0),
        }
        for row in rows
    ]


def movements_of(
    organisation: Organisation, *, product: Product | int | None = None, lease: Lease | int | None = None
) -> QuerySet[StockMovement]:
    """The ledger of the exporter's goods, newest first."""
    movements = StockMovement.objects.filter(lease__exporter=organisation).select_related(
        "product", "lease__listing__warehouse", "actor", "order"
    )
    if product is not None:
        movements = movements.filter(product=product)
    if lease is not None:
        movements = movements.filter(lease=lease)
    return movements.order_by("-created_at", "-pk")


def lease_stock(lease: Lease | int) -> list[StockLevel]:
    """The stock of one lease (either side may see it): every product with something on hand or held."""
    return list(
        StockLevel.objects.filter(lease=lease)
        .filter(Q(on_hand__gt=0) | Q(held__gt=0))
        .select_related("product")
        .order_by("product__sku", "pk")
    )


def _orders() -> QuerySet[OutboundOrder]:
    return OutboundOrder.objects.select_related("lease__listing__warehouse", "lease__exporter", "requested_by")


def orders_of_exporter(organisation: Organisation) -> QuerySet[OutboundOrder]:
    """The exporter's orders, newest first."""
    return _orders().filter(lease__exporter=organisation).order_by("-created_at", "-pk")


def outbound_queue(owner_org: Organisation) -> QuerySet[OutboundOrder]:
    """Open orders (requested, accepted, picked) at the owner's warehouses, oldest first."""
    return (
        _orders()
        .filter(lease__listing__warehouse__organisation=owner_org, status__in=OPEN_ORDER_STATUSES)
        .order_by("created_at", "pk")
    )


def order_visible(organisation: Organisation, pk: int | str) -> OutboundOrder:
    """One order, to the lease's exporter or its warehouse's owner; Http404 for anyone else."""
    if not str(pk).isdigit():
        raise Http404("No such order")
    order = (
        _orders()
        .filter(pk=pk)
        .filter(Q(lease__exporter=organisation) | Q(lease__listing__warehouse__organisation=organisation))
        .first()
    )
    if order is None:
        raise Http404("No such order")
    return order
