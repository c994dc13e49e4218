"""Issuing documents: each is numbered in the transaction of the money event it records.

Numbering (docs/money.md "Documents"): one series per (issuer, kind, year), its ``DocumentCounter``
row locked with ``select_for_update`` while the next number is taken and the document written. The
escrow hooks call these inside escrow's own transaction, so a payment, refund or release that rolls
back takes its document and its number with it: no gap, and the lock means no duplicate. The counter
is the last lock such a transaction takes (after the lease and the escrow), so it cannot deadlock.
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Membership, Organisation
from common.money import quantize
from escrow import ledger
from escrow.choices import PaymentStatus
from escrow.models import LedgerEntry, Payment, Payout, Refund
from leasing.models import Lease

from .choices import PLATFORM, PREFIXES, DocumentKind
from .models import Document, DocumentCounter

STATEMENT_LOOKBACK_MONTHS = 12  # the sweep issues statements missing for up to a year back


def organisation_language(organisation: Organisation) -> str:
    """The language the organisation reads: its first admin's own language (``User.language``), else
    its first member's, else the site's default. Documents are written in it."""
    languages = dict(settings.LANGUAGES)
    rows = (
        Membership.objects.filter(organisation=organisation)
        .exclude(user__language="")
        .order_by("created_at", "pk")
        .values_list("role", "user__language")
    )
    found = [language for role, language in rows if language in languages]
    admins = [language for role, language in rows if role == Role.ADMIN and language in languages]
    return (admins or found or [settings.LANGUAGE_CODE])[0]


def party(organisation: Organisation) -> dict[str, str]:
    return {
        "name": organisation.name,
        "legal_name": organisation.legal_name or organisation.name,
        "registration_number": organisation.registration_number,
        "vat_number": organisation.vat_number,
        "country": str(organisation.country or ""),
    }


def platform_party() -> dict[str, str]:
    return {
        "name": "Wareshare",
        "legal_name": settings.WARESHARE_PLATFORM_LEGAL_NAME,
        "registration_number": settings.WARESHARE_PLATFORM_REGISTRATION_NUMBER,
        "vat_number": settings.WARESHARE_PLATFORM_VAT_NUMBER,
        "country": settings.WARESHARE_PLATFORM_COUNTRY,
    }


def fee_tax_percent() -> Decimal:
    """``WARESHARE_FEE_TAX_PERCENT``: the tax included in the platform fee (default 0: nothing is
    guessed from a country)."""
    return Decimal(str(settings.WARESHARE_FEE_TAX_PERCENT))


def tax_included(total: Decimal, percent: Decimal, currency: str) -> Decimal:
    """The tax inside a tax-inclusive ``total`` at ``percent``: total × p / (100 + p), rounded half-up."""
    return quantize(total * percent / (Decimal(100) + percent), currency) if percent else Decimal("0.00")


def money_text(amount: Decimal) -> str:
    return str(amount)


@transaction.atomic
def document_create(*, kind: str, recipient: Organisation, issuer: str = PLATFORM, **fields: Any) -> Document:
    """Number and write one document: lock its series' counter, take the next number, write the row.
    The caller checked (under a lock of its own, or ``unique`` catching it) that it was not issued yet."""
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    DocumentCounter.objects.get_or_create(issuer=issuer, kind=kind, year=year)
    counter = DocumentCounter.objects.select_for_update().get(issuer=issuer, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Document.objects.create(
        kind=kind,
        issuer=issuer,
        year=year,
        sequence=counter.last,
        number=f"{PREFIXES[DocumentKind(kind)]}-{year}-{counter.last:06d}",
        recipient=recipient,
        language=organisation_language(recipient),
        issued_at=issued_at,
        **fields,
    )


def lease_facts(lease: Lease) -> dict[str, Any]:
    return {
        "lease": lease.pk,
        "listing": lease.listing.title,
        "warehouse": lease.listing.warehouse.name,
        "start": lease.start.isoformat(),
        "end": lease.end.isoformat(),
        "quantity": lease.quantity,
    }


def receipt_issue(*, payment: Payment) -> Document | None:
    """The exporter's receipt for a payment that reached escrow (a duplicate too: its refund gets a
    refund receipt). Called by ``escrow.hooks.payment_funded`` inside the funding transaction, with
    the escrow locked; idempotent per payment."""
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.DUPLICATE):
        return None
    if Document.objects.filter(payment=payment).exists():
        return None
    lease = Lease.objects.select_related("exporter", "listing__warehouse__organisation").get(pk=payment.escrow.lease_id)
    line = {
        "type": "duplicate_payment" if payment.status == PaymentStatus.DUPLICATE else "lease_payment",
        **lease_facts(lease),
        "paid_on": timezone.localdate(payment.updated_at).isoformat(),
        "amount": money_text(payment.amount),
    }
    parties = {"issuer": platform_party(), "recipient": party(lease.exporter), "owner": party(lease.owner)}
    return document_create(
        kind=DocumentKind.RECEIPT,
        recipient=lease.exporter,
        currency=payment.currency,
        amount=payment.amount,
        lease=lease,
        payment=payment,
        parties=parties,
        lines=[line],
    )


def refund_receipt_issue(*, refund: Refund) -> Document | None:
    """The exporter's receipt for a refund, written when escrow creates the refund (the money is the
    exporter's from then on; the card refund follows after commit and is retried until it succeeds)."""
    if Document.objects.filter(refund=refund).exists():
        return None
    lease = Lease.objects.select_related("listing__warehouse__organisation").get(pk=refund.escrow.lease_id)
    recipient = Organisation.objects.get(pk=refund.organisation_id)
    line = {"type": "refund", **lease_facts(lease), "reason": refund.reason, "amount": money_text(refund.amount)}
    parties = {"issuer": platform_party(), "recipient": party(recipient), "owner": party(lease.owner)}
    return document_create(
        kind=DocumentKind.REFUND_RECEIPT,
        recipient=recipient,
        currency=refund.currency,
        amount=refund.amount,
        lease=lease,
        refund=refund,
        parties=parties,
        lines=[line],
    )


def release_fee(payout: Payout) -> Decimal:
    """The platform fee taken by the release that created ``payout`` (its posting has the payout's key)."""
    total = LedgerEntry.objects.filter(
        posting__idempotency_key=payout.idempotency_key, account=ledger.PLATFORM_FEE
    ).aggregate(total=Sum("amount"))["total"]
    return -Decimal(total) if total else Decimal("0.00")


def fee_invoice_issue(*, payout: Payout) -> Document | None:
    """The platform's invoice to the owner for the fee of one release (an instalment, or what a
    cancellation or a decision released), written in the release's transaction. No fee, no invoice.
    The fee is tax-inclusive at ``WARESHARE_FEE_TAX_PERCENT``: the invoice total is what was taken."""
    if Document.objects.filter(payout=payout).exists():
        return None
    fee = quantize(release_fee(payout), payout.currency)
    if fee <= 0:
        return None
    lease = Lease.objects.select_related("listing__warehouse__organisation").get(pk=payout.escrow.lease_id)
    owner = Organisation.objects.get(pk=payout.organisation_id)
    percent = fee_tax_percent()
    tax = tax_included(fee, percent, payout.currency)
    line = {
        "type": "platform_fee",
        **lease_facts(lease),
        "sequence": payout.sequence,
        "fee_percent": str(lease.platform_fee_percent),
        "released": money_text(payout.amount + fee),
        "amount": money_text(fee),
    }
    return document_create(
        kind=DocumentKind.FEE_INVOICE,
        recipient=owner,
        currency=payout.currency,
        amount=fee,
        tax_percent=percent,
        tax_amount=tax,
        lease=lease,
        payout=payout,
        parties={"issuer": platform_party(), "recipient": party(owner)},
        lines=[line],
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the site's time zone (``TIME_ZONE``)."""
    first = month.replace(day=1)
    following = (first.replace(day=28) + (first.replace(day=28) - first.replace(day=1))).replace(day=1)
    zone = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(first, time.min), zone),
        timezone.make_aware(datetime.combine(following, time.min), zone),
    )


@transaction.atomic
def statement_issue(*, organisation: Organisation, month: date, currency: str) -> Document | None:
    """The owner's payout statement for a calendar month in one currency: every payout released to it
    in that month, whatever its transfer status then. Idempotent: the series' counter is locked
    before looking, so two sweeps cannot both write it."""
    start, end = month_bounds(month)
    if end > timezone.now():
        return None  # the month is not over
    year = timezone.localtime(timezone.now()).year
    DocumentCounter.objects.get_or_create(issuer=PLATFORM, kind=DocumentKind.STATEMENT, year=year)
    DocumentCounter.objects.select_for_update().get(issuer=PLATFORM, kind=DocumentKind.STATEMENT, year=year)
    period = start.date()
    if Document.objects.filter(
        kind=DocumentKind.STATEMENT, recipient=organisation, period=period, currency=currency
    ).exists():
        return None
    payouts = list(
        Payout.objects.filter(organisation=organisation, currency=currency, created_at__gte=start, created_at__lt=end)
        .select_related("escrow")
        .order_by("created_at", "pk")
    )
    if not payouts:
        return None
    lines = [
        {
            "type": "payout",
            "lease": payout.escrow.lease_id,
            "sequence": payout.sequence,
            "date": timezone.localdate(payout.created_at).isoformat(),
            "status": payout.status,
            "amount": money_text(payout.amount),
        }
        for payout in payouts
    ]
    return document_create(
        kind=DocumentKind.STATEMENT,
        recipient=organisation,
        currency=currency,
        amount=sum((payout.amount for payout in payouts), Decimal("0.00")),
        period=period,
        parties={"issuer": platform_party(), "recipient": party(organisation)},
        lines=lines,
    )


def statements_issue_due() -> int:
    """Sweep: issue every monthly payout statement missing for a month that is over (up to a year
    back). Idempotent; returns how many it wrote."""
    this_month, _ = month_bounds(timezone.localdate())
    since = this_month.replace(year=this_month.year - 1)
    zone = timezone.get_default_timezone()
    months = (
        Payout.objects.filter(created_at__gte=since, created_at__lt=this_month)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values_list("organisation_id", "month", "currency")
        .distinct()
    )
    issued = {
        (row[0], row[1], row[2])
        for row in Document.objects.filter(kind=DocumentKind.STATEMENT, period__gte=since.date()).values_list(
            "recipient_id", "period", "currency"
        )
    }
    written = 0
    for organisation_id, month, currency in sorted(months, key=lambda row: (row[1], row[0], row[2])):
        if (organisation_id, month.date(), currency) in issued:
            continue
        organisation = Organisation.objects.get(pk=organisation_id)
        if statement_issue(organisation=organisation, month=month.date(), currency=currency):
            written += 1
    return written


@transaction.atomic
def document_reissue(*, document: Document, language: str = "") -> Document:
    """Reissue a document under its own number: the parties' details are read again (a corrected
    legal name, registration or VAT number) and, if given, the language changes. Amounts and lines
    never change: a wrong amount is corrected by the money event that corrects it (a refund)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    recipient = Organisation.objects.get(pk=document.recipient_id)
    parties = dict(document.parties)
    parties["issuer"] = platform_party()
    parties["recipient"] = party(recipient)
    if document.lease_id and "owner" in parties:
        parties["owner"] = party(
            Lease.objects.select_related("listing__warehouse__organisation").get(pk=document.lease_id).owner
        )
    document.parties = parties
    document.language = language or organisation_language(recipient)
    document.revision += 1
    document.reissued_at = timezone.now()
    document.save(update_fields=["parties", "language", "revision", "reissued_at"])
    return document
