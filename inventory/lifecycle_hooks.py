"""Connect goods over a lease's life (``inventory.lifecycle``) to leasing's hooks; called once from
``InventoryConfig.ready()``."""

from leasing import consistency
from leasing import hooks as leasing_hooks

from . import hooks, lifecycle, lifecycle_pages, stock_check


def connect() -> None:
    leasing_hooks.transfer_changed.connect(
        lifecycle.on_transfer_changed, dispatch_uid="inventory.lifecycle.transfer", weak=False
    )
    leasing_hooks.lease_changed.connect(
        lifecycle.on_lease_changed, dispatch_uid="inventory.lifecycle.lease", weak=False
    )
    hooks.stock_moved.connect(lifecycle.on_stock_moved, dispatch_uid="inventory.lifecycle.stock", weak=False)
    leasing_hooks.transfer_check_register(lifecycle.transfer_goods_check)
    leasing_hooks.late_extension_register(lifecycle.late_extension_allowed)
    leasing_hooks.lease_page_extras_register(lifecycle_pages.lease_page_extras)
    leasing_hooks.transfer_page_extras_register(lifecycle_pages.transfer_page_extras)
    consistency.consistency_check_register("stock", stock_check.stock_consistency)
