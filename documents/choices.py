from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", _("Payment receipt")
    REFUND_RECEIPT = "refund_receipt", _("Refund receipt")
    FEE_INVOICE = "fee_invoice", _("Platform fee invoice")
    STATEMENT = "statement", _("Monthly payout statement")


# The number's prefix per kind: RC-2026-000001. Each kind has its own series per issuer and year.
PREFIXES = {
    DocumentKind.RECEIPT: "RC",
    DocumentKind.REFUND_RECEIPT: "RF",
    DocumentKind.FEE_INVOICE: "FI",
    DocumentKind.STATEMENT: "PS",
}

# The only issuer today: Wareshare itself (its details are settings, docs/money.md "Documents").
PLATFORM = "platform"
