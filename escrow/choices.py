from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    REQUIRES_ACTION = "requires_action", _("Needs authentication")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown (retry)")
    # Succeeded at the processor after another attempt had already paid the lease: refunded in full.
    DUPLICATE = "duplicate", _("Paid twice — refunded")


# A payment whose money reached the processor: the one that paid the lease, or a duplicate.
CHARGED = (PaymentStatus.SUCCEEDED, PaymentStatus.DUPLICATE)


class PayoutStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for payout account")
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed (will retry)")
    QUEUED = "queued", _("Queued for bank transfer")


class PayoutRail(models.TextChoices):
    """How an owner is paid: a transfer to its connected account at the processor, or a bank
    transfer staff make by hand (for countries the processor cannot pay; docs/money.md)."""

    PROCESSOR = "processor", _("Processor transfer")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class ServiceAgreement(models.TextChoices):
    """The Stripe Connect service agreement of an owner's connected account (payout_countries.py)."""

    FULL = "full", _("Full")
    RECIPIENT = "recipient", _("Recipient (cross-border)")


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed (will retry)")


class ChargebackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ReversalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed (will retry)")
