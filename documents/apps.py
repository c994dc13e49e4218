from typing import Any

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        """Documents sits above escrow and leasing: escrow announces each money event inside its own
        transaction, and the document for it is numbered in that same transaction (docs/money.md)."""
        from escrow import hooks
        from leasing.hooks import lease_page_extras_register

        from . import lease_pages, services

        def funded(*, payment: Any, **_: Any) -> None:
            services.receipt_issue(payment=payment)

        def refund_created(*, refund: Any, from_status: str | None, **_: Any) -> None:
            if from_status is None:
                services.refund_receipt_issue(refund=refund)

        def payout_created(*, payout: Any, from_status: str | None, **_: Any) -> None:
            if from_status is None:
                services.fee_invoice_issue(payout=payout)

        hooks.payment_funded.connect(funded, dispatch_uid="documents.receipt", weak=False)
        hooks.refund_changed.connect(refund_created, dispatch_uid="documents.refund_receipt", weak=False)
        hooks.payout_changed.connect(payout_created, dispatch_uid="documents.fee_invoice", weak=False)
        lease_page_extras_register(lease_pages.lease_page_extras)
