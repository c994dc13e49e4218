"""Reads for the escrow pages."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.money import quantize

from .choices import PayoutRail, PayoutStatus
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
            organisation=organisation,
            status__in=[PayoutStatus.WAITING, PayoutStatus.PENDING, PayoutStatus.FAILED, PayoutStatus.QUEUED],
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: quantize(row["total"], row["currency"]) for row in rows}


def bank_payout_queue() -> QuerySet[Payout]:
    """Payouts due by bank transfer, oldest first, with what staff need to make the transfer."""
    return (
        Payout.objects.filter(status=PayoutStatus.QUEUED, rail=PayoutRail.BANK_TRANSFER)
        .select_related("organisation__payout_account", "escrow")
        .order_by("created_at", "pk")
    )


def bank_payouts_recorded() -> QuerySet[Payout]:
    """Bank transfers staff recorded, newest first."""
    return (
        Payout.objects.filter(status=PayoutStatus.PAID, rail=PayoutRail.BANK_TRANSFER)
        .select_related("organisation", "escrow", "recorded_by")
        .order_by("-paid_at", "-pk")
    )


def payouts_of(*, organisation: Organisation) -> QuerySet[Payout]:
    """The owner's payouts, newest first, with their lease (escrow)."""
    return Payout.objects.filter(organisation=organisation).select_related("escrow").order_by("-created_at", "-pk")
