"""Stock on a lease for the lifecycle tests, written through the ledger's primitive."""

from django.db import transaction

from inventory.choices import MovementKind
from inventory.models import Product, StockLevel
from inventory.services.ledger import movement_write
from leasing.models import Lease


def put(lease: Lease, sku: str, quantity: int, *, kind: str = MovementKind.RECEIVED) -> Product:
    """``quantity`` units of ``sku`` (the exporter's) in (positive) or out (negative) of ``lease``."""
    with transaction.atomic():
        product, _ = Product.objects.get_or_create(organisation=lease.exporter, sku=sku, defaults={"description": sku})
        if quantity < 0 and kind == MovementKind.RECEIVED:
            kind = MovementKind.SHIPPED
        movement_write(lease=lease, product=product, kind=kind, quantity=quantity, by=None)
    return product


def stock(lease: Lease) -> dict[str, int]:
    """SKU -> units on hand on ``lease`` (what is there)."""
    levels = StockLevel.objects.filter(lease=lease, on_hand__gt=0).select_related("product")
    return {level.product.sku: level.on_hand for level in levels}


def empty(lease: Lease) -> None:
    """Ship everything on hand out of ``lease``."""
    for sku, units in stock(lease).items():
        put(lease, sku, -units)


def removal_shipped(lease: Lease, exporter, owner):
    """The exporter orders a removal of everything on ``lease``; the owner accepts, picks and ships it."""
    from inventory import services

    order = services.order_create(lease=lease, by=exporter, kind="removal", lines=[])
    order = services.order_accept(order=order, by=owner)
    order = services.order_pick(order=order, by=owner)
    return services.order_ship(order=order, by=owner, carrier="DHL", tracking_number="JD0001")
