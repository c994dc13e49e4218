"""Inventory pages. Thin: find the object through the current organisation (another organisation's
is a 404), read what the side may do from ``inventory.rules``, call one service or selector, turn an
ApplicationError into a form error or a message, redirect after a POST."""

from .orders import order_create, order_detail, order_list, order_step, outbound_queue, pick_list
from .products import product_create, product_delete, product_export, product_import, product_list, product_update
from .staff import staff_order_list, staff_stock_list
from .stock import lease_stock, product_stock, stock, stock_adjust, stock_export

__all__ = [
    "lease_stock",
    "order_create",
    "order_detail",
    "order_list",
    "order_step",
    "outbound_queue",
    "pick_list",
    "product_create",
    "product_delete",
    "product_export",
    "product_import",
    "product_list",
    "product_stock",
    "product_update",
    "staff_order_list",
    "staff_stock_list",
    "stock",
    "stock_adjust",
    "stock_export",
]
