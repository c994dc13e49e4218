"""Inventory's part of the leasing pages, registered on ``leasing.hooks`` in ``InventoryConfig.ready``
(leasing never imports inventory): the Stock section of the lease page, and the exporter's SKUs
offered on the shipment form."""

from typing import Any

from accounts.models import Organisation
from leasing.models import Lease
from leasing.rules import side_of

from . import rules, selectors
from .pages_selectors import LeaseStock, lease_had_goods, lease_open_orders

OWNER = "owner"


def lease_page_extras(lease: Lease, organisation: Organisation) -> dict[str, Any]:
    """``stock``: what is on hand per SKU, the open orders, and what the viewer may do (2 queries;
    3 when nothing is on hand or on order), once the lease has ever had goods."""
    is_owner = side_of(lease, organisation.pk) == OWNER
    levels = selectors.lease_stock(lease)
    on_hand = sum(level.on_hand for level in levels)
    panel = LeaseStock(
        lease=lease,
        is_owner=is_owner,
        levels=levels,
        open_orders=lease_open_orders(lease),
        can_order=not is_owner and bool(rules.order_create_allowed(lease, organisation.pk, on_hand=on_hand)),
        can_adjust=is_owner and bool(rules.adjust_allowed(lease, organisation.pk)),
    )
    if not (panel.levels or panel.open_orders or lease_had_goods(lease)):
        return {}  # nothing was ever received: no section (and no adjustment) before the first check-in
    return {"stock": panel}


def shipment_sku_choices(organisation: Organisation) -> list[tuple[str, str]]:
    """The exporter's products, as (SKU, description), for the shipment form's datalist (1 query)."""
    return list(selectors.products_of(organisation).order_by("sku").values_list("sku", "description")[:1000])


def register() -> None:
    """Called from ``InventoryConfig.ready``."""
    from leasing import hooks

    hooks.lease_page_extras_register(lease_page_extras)
    hooks.shipment_sku_choices_register(shipment_sku_choices)
