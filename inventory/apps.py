from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """Goods in the warehouse: products, the stock ledger, outbound orders (docs/inventory.md).

    Inventory sits above leasing: leasing never imports it. It follows leasing through the hooks in
    ``leasing.hooks`` (connected in ``ready()``)."""

    name = "inventory"

    def ready(self) -> None:
        from .lifecycle_hooks import connect

        connect()  # goods over a lease's life: transfers, extensions, the end (inventory/lifecycle.py)
