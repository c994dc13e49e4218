"""Reads for the escrow pages."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.money import quantize

from .choices import PayoutStatus
from .models import Payout

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Stripe's requirement codes (``requirements.currently_due``) in words an owner understands.
# Codes not listed are shown by their last parts ("individual.verification.document" → "verification document").
REQUIREMENT_LABELS: dict[str, "StrOrPromise"] = {
    "business_type": _("The type of business (company, individual, …)"),
    "business_profile.url": _("Your business website"),
    "business_profile.mcc": _("What your business does"),
    "external_account": _("A bank account for payouts"),
    "tos_acceptance.date": _("Accepting Stripe's services agreement"),
    "tos_acceptance.ip": _("Accepting Stripe's services agreement"),
    "individual.verification.document": _("An identity document"),
    "individual.id_number": _("A personal identification number"),
    "individual.dob.day": _("Date of birth"),
    "individual.dob.month": _("Date of birth"),
    "individual.dob.year": _("Date of birth"),
    "individual.address.line1": _("Your address"),
    "company.tax_id": _("Your company's tax ID"),
    "company.address.line1": _("Your company's address"),
    "representative.verification.document": _("An identity document for your company's representative"),
}


def requirement_label(code: str) -> str:
    if code in REQUIREMENT_LABELS:
        return str(REQUIREMENT_LABELS[code])
    parts = [part for part in code.split(".") if not part.startswith("person_")]
    return " ".join(parts[-2:]).replace("_", " ").capitalize()


def payouts_waiting(*, organisation: Organisation) -> dict[str, Decimal]:
    """Released money not yet transferred to the owner, per currency (it waits in ``payable:owner``)."""
    rows = (
        Payout.objects.filter(
            organisation=organisation, status__in=[PayoutStatus.WAITING, PayoutStatus.PENDING, PayoutStatus.FAILED]
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: quantize(row["total"], row["currency"]) for row in rows}
