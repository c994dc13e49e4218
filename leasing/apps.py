from typing import Any

from django.apps import AppConfig


class LeasingConfig(AppConfig):
    name = "leasing"

    def ready(self) -> None:
        """Leasing sits above escrow: escrow announces a succeeded payment, leasing funds the lease."""
        from escrow import hooks

        from .services import lease_payment_succeeded

        def fund(*, payment: Any, **_: Any) -> None:
            lease_payment_succeeded(payment=payment, by=None)

        hooks.payment_succeeded.connect(fund, dispatch_uid="leasing.fund", weak=False)
