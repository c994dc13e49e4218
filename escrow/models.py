"""Escrow, payments out and in, and the double-entry ledger.

Ledger rows are append-only: ``LedgerEntry.save`` refuses updates and ``delete`` is refused.
An entry's ``amount`` is signed: debits positive, credits negative; every posting sums to zero.
Account names: ``gateway``, ``escrow:lease:<id>``, ``payable:owner:<org>``,
``revenue:platform_fee``, ``expense:processor_fee``, ``refund:exporter:<org>``; for card disputes
``chargeback:lease:<id>``, ``receivable:owner:<org>``, ``loss:chargeback`` and ``expense:dispute_fee``
(docs/operations.md).
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES

from .choices import (
    ChargebackStatus,
    PaymentStatus,
    PayoutRail,
    PayoutStatus,
    RefundStatus,
    ReversalStatus,
    ServiceAgreement,
)


class Escrow(models.Model):
    """The money held for one lease. Its balance is derived from the ledger, never stored."""

    lease = models.OneToOneField("leasing.Lease", on_delete=models.PROTECT, related_name="escrow")
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    frozen = models.BooleanField(default=False, help_text="No release while a chargeback is open.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Escrow for lease {self.lease_id}"

    @property
    def account(self) -> str:
        return f"escrow:lease:{self.lease_id}"

    @property
    def transfer_group(self) -> str:
        return f"lease_{self.lease_id}"


class Posting(models.Model):
    """One balanced journal entry: its lines' amounts sum to zero, in one currency."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=300)
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, null=True, blank=True, related_name="postings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self._state.adding:
            raise ValueError("ledger postings are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("ledger postings are append-only")


class LedgerEntry(models.Model):
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=100, db_index=True)
    amount = money_field(help_text="Debit positive, credit negative.")
    currency = models.CharField(max_length=3, choices=CURRENCIES)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self._state.adding:
            raise ValueError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("ledger entries are append-only")


class Payment(models.Model):
    """One attempt to charge the exporter. ``idempotency_key`` is ``escrow:<id>:charge:<attempt>``
    (a later instalment of a lease billed monthly: ``escrow:<id>:instalment:<n>:charge:<attempt>``);
    an attempt whose outcome is unknown is retried with the same key, so it cannot charge twice."""

    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="payments")
    # Which payment of the escrow this attempts: 1 the first (the whole lease, or its first month when
    # billed monthly), n the n-th instalment of a lease billed monthly. At most one succeeds per n.
    instalment = models.PositiveSmallIntegerField(default=1)
    attempt = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    gateway = models.CharField(max_length=20)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    processor_id = models.CharField(max_length=100, blank=True)
    charge_id = models.CharField(max_length=100, blank=True)
    client_secret = models.CharField(max_length=200, blank=True)
    # The card (payment method token) this attempt was first sent with: its idempotency key is
    # bound to it at the processor, so a retry of an unknown outcome must resend the same one.
    payment_method = models.CharField(max_length=200, blank=True)
    # How it was sent (a retry must resend it the same way): on ``customer`` saving the card for later
    # (``charge_and_save``), or, with ``off_session``, charging the card saved there without the payer.
    customer = models.CharField(max_length=100, blank=True)
    off_session = models.BooleanField(default=False)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["attempt"]
        constraints = [
            models.UniqueConstraint(fields=["escrow", "instalment", "attempt"], name="one_payment_per_attempt"),
            models.UniqueConstraint(
                fields=["escrow", "instalment"],
                condition=Q(status="succeeded"),
                name="one_succeeded_payment_per_instalment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class Payout(models.Model):
    """A release of escrow to the owner: a transfer to the owner's connected account, or (``rail``
    bank_transfer) a bank transfer staff make and record (``bank_reference``, ``bank_transferred_on``)."""

    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="payouts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="payouts")
    sequence = models.PositiveSmallIntegerField(default=1)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    status = models.CharField(max_length=20, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    processor_id = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    rail = models.CharField(max_length=20, choices=PayoutRail.choices, default=PayoutRail.PROCESSOR)
    bank_reference = models.CharField(max_length=100, blank=True, help_text="The bank's reference, recorded by staff.")
    bank_transferred_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["escrow", "sequence"], name="one_payout_per_sequence"),
            models.CheckConstraint(
                condition=~Q(status="paid", rail="bank_transfer") | ~Q(bank_reference=""),
                name="bank_payout_paid_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class Refund(models.Model):
    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="refunds")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="refunds")
    # The charge the money goes back to: a duplicate payment's own; blank: the lease's payment.
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="duplicate_refunds"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    processor_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class PayoutAccount(models.Model):
    """Where an owner organisation is paid: a connected account at the processor (``rail``
    processor, under ``service_agreement``), or a bank account staff transfer to by hand (``rail``
    bank_transfer: ``bank_account`` is the IBAN or the account number, with ``swift_bic``)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="payout_account")
    gateway = models.CharField(max_length=20)
    account_id = models.CharField(max_length=100)
    payouts_enabled = models.BooleanField(default=False)
    requirements = models.JSONField(default=list, blank=True)
    holder_name = models.CharField(max_length=200, blank=True)
    iban_last4 = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    country = CountryField(blank=True, help_text="Where the owner is paid (the connected account's country).")
    rail = models.CharField(max_length=20, choices=PayoutRail.choices, default=PayoutRail.PROCESSOR)
    service_agreement = models.CharField(max_length=10, choices=ServiceAgreement.choices, blank=True)
    bank_account = models.CharField(max_length=34, blank=True, help_text="IBAN or account number (bank rail).")
    swift_bic = models.CharField(max_length=11, blank=True)
    bank_country = CountryField(blank=True)

    def __str__(self) -> str:
        return f"{self.organisation} → {self.gateway}:{self.account_id}"


class BillingProfile(models.Model):
    """An exporter organisation at the processor, for charges made without the payer present (a lease
    billed monthly): its customer (Stripe ``cus_…``) and the card saved by its last payment that
    asked to save one (``setup_future_usage=off_session``)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="billing_profile")
    gateway = models.CharField(max_length=20)
    customer_id = models.CharField(max_length=100)
    payment_method = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organisation} → {self.gateway}:{self.customer_id}"


class WebhookEvent(models.Model):
    """A processor event, stored before it is processed: a replay of the same id is a no-op."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Chargeback(models.Model):
    """A card dispute on a lease's charge (Stripe ``dp_…``). While one is open the escrow is frozen.

    Created by whichever of ``charge.dispute.created`` / ``charge.dispute.closed`` arrives first;
    the status only moves forward (open → won | lost). The money is in the ledger (escrow/chargebacks.py)."""

    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="chargebacks")
    dispute_id = models.CharField(max_length=100, unique=True)
    charge_id = models.CharField(max_length=100)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=ChargebackStatus.choices, default=ChargebackStatus.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]

    def __str__(self) -> str:
        return f"Chargeback {self.dispute_id} {self.status}"


class TransferReversal(models.Model):
    """Pulling (part of) an owner's transfer back after a lost chargeback. ``idempotency_key`` is
    ``escrow:<id>:chargeback:<dispute>:reversal`` (``…:reversal:<payout sequence>`` after the first)."""

    chargeback = models.ForeignKey(Chargeback, on_delete=models.PROTECT, related_name="reversals")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="reversals")
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    status = models.CharField(max_length=20, choices=ReversalStatus.choices, default=ReversalStatus.PENDING)
    processor_id = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class SimulatedMovement(models.Model):
    """The simulated gateway's own books, kept only when ``SIMULATED_GATEWAY_RECORD`` is on (the fault
    drill): one row per money movement it made (charge, transfer, refund, reversal), unique on its
    idempotency key and request, with ``calls`` counting every request that carried that key. A
    retried call adds to ``calls``, never a row: two rows for one payout would be money paid twice."""

    operation = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    amount = money_field()
    currency = models.CharField(max_length=3)
    transfer_group = models.CharField(max_length=100, blank=True)
    result_id = models.CharField(max_length=100)
    calls = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "idempotency_key", "request_digest"], name="one_simulated_movement_per_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} × {self.calls}"


ZERO = Decimal("0")
