from typing import Any

from django.apps import AppConfig


class LeasingConfig(AppConfig):
    name = "leasing"

    def ready(self) -> None:
        """Leasing sits above escrow: escrow announces a succeeded payment, leasing funds the lease;
        escrow announces a duplicate payment it refunded, leasing notes it on the lease."""
        from escrow import hooks

        from .services import lease_payment_duplicate, lease_payment_succeeded

        def fund(*, payment: Any, **_: Any) -> None:
            lease_payment_succeeded(payment=payment, by=None)

        def duplicate(*, payment: Any, **_: Any) -> None:
            lease_payment_duplicate(payment=payment)

        hooks.payment_succeeded.connect(fund, dispatch_uid="leasing.fund", weak=False)
        hooks.payment_duplicate.connect(duplicate, dispatch_uid="leasing.duplicate", weak=False)
