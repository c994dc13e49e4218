"""Receipts, fee invoices and payout statements: numbered records, rendered as PDF on demand.

A document is written once, in the transaction of the money event it records (a statement: when its
month is over), with its number and a snapshot of both parties' details and of its lines, so that
the PDF rendered from it later (``documents.pdf``) is the same every time, whatever changes after.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES

from .choices import PLATFORM, DocumentKind


class DocumentCounter(models.Model):
    """The last number given in one series (issuer, kind, year). Locked (``select_for_update``) by
    the transaction that gives the next number, so two documents never share one and a rolled-back
    event gives its number back: the series has no gap and no duplicate."""

    issuer = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "kind", "year"], name="one_counter_per_series")]

    def __str__(self) -> str:
        return f"{self.issuer} {self.kind} {self.year}: {self.last}"


class Document(models.Model):
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    issuer = models.CharField(max_length=40, default=PLATFORM)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    amount = money_field(help_text="The document's total.")
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_amount = money_field(default=0)
    # What it is about: one of these (a statement has none of the four, only its month).
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    payment = models.OneToOneField(
        "escrow.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    refund = models.OneToOneField(
        "escrow.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    payout = models.OneToOneField(
        "escrow.Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="fee_invoice"
    )
    period = models.DateField(null=True, blank=True, help_text="A statement's month (its first day).")
    # Snapshots taken at issue (docs/money.md "Documents"): the parties and the lines printed.
    parties: Any = models.JSONField(default=dict)
    lines: Any = models.JSONField(default=list)
    issued_at = models.DateTimeField()
    revision = models.PositiveSmallIntegerField(default=1)
    reissued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "-issued_at", "-id"], name="document_recipient_newest")]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "kind", "year", "sequence"], name="one_document_per_number"),
            models.UniqueConstraint(
                fields=["recipient", "period", "currency"],
                condition=Q(kind="statement"),
                name="one_statement_per_month_and_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def filename(self) -> str:
        return f"wareshare-{self.number}.pdf"
