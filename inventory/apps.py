from typing import Any

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """Goods in the warehouse: products, the stock ledger, outbound orders (docs/inventory.md).

    Inventory sits above leasing: leasing never imports it. It follows leasing through the hooks in
    ``leasing.hooks`` (connected in ``ready()``)."""

    name = "inventory"

    def ready(self) -> None:
        """A check-in writes its goods into the ledger (``stock_receive``), in the same transaction."""
        from leasing import hooks

        from .services import stock_receive

        def receive(*, checkin: Any, by: Any, **_: Any) -> None:
            stock_receive(checkin=checkin, by=by)

        hooks.checkin_recorded.connect(receive, dispatch_uid="inventory.receive", weak=False)
