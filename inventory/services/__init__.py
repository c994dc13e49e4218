"""Inventory's writes, by capability (docs/inventory.md): products (and their CSV), the stock
ledger (receipts, adjustments, moves), outbound orders. Callers use ``from inventory import services``."""

from .imports import IMPORT_MAX_ROWS, ImportResult, RowError, products_export, products_import
from .ledger import levels_lock, movement_write, stock_hold, stock_release
from .orders import (
    on_order,
    order_accept,
    order_cancel,
    order_create,
    order_deliver,
    order_pick,
    order_refuse,
    order_ship,
)
from .products import (
    PRODUCT_COLUMNS,
    product_clean,
    product_create,
    product_delete,
    product_for_line,
    product_update,
    sku_for_description,
)
from .stock import (
    ADJUSTMENT_KINDS,
    adjustment_photos_valid,
    product_carried,
    stock_adjust,
    stock_move,
    stock_receive,
)

__all__ = [
    "ADJUSTMENT_KINDS",
    "IMPORT_MAX_ROWS",
    "PRODUCT_COLUMNS",
    "ImportResult",
    "RowError",
    "adjustment_photos_valid",
    "levels_lock",
    "movement_write",
    "on_order",
    "order_accept",
    "order_cancel",
    "order_create",
    "order_deliver",
    "order_pick",
    "order_refuse",
    "order_ship",
    "product_carried",
    "product_clean",
    "product_create",
    "product_delete",
    "product_for_line",
    "product_update",
    "products_export",
    "products_import",
    "sku_for_description",
    "stock_adjust",
    "stock_hold",
    "stock_move",
    "stock_receive",
    "stock_release",
]
