"""Receipts, fee invoices and payout statements: issued by the money events, numbered without gaps,
readable as PDF (the parties, amounts and number found by pdftotext) in English and Chinese."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from common.money import format_money
from documents import services
from documents.choices import DocumentKind
from documents.models import Document, DocumentCounter
from documents.pdf import document_pdf
from escrow.models import Payout
from leasing import services as leasing_services
from leasing.choices import CancelledBy
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties

from .helpers import document_text, legal, reads_chinese

pytestmark = pytest.mark.django_db


@pytest.fixture
def p() -> Parties:
    parties = Parties()
    legal(parties.owner_org, vat="NL123456789B01")
    legal(parties.exporter_org, vat="91310000MA1K0000X")
    return parties


def year() -> int:
    return timezone.localtime().year


def test_a_paid_and_released_lease_gives_the_exporter_a_receipt_and_the_owner_a_fee_invoice(p):
    lease = p.lease_in(S.ACTIVE)
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT)
    invoice = Document.objects.get(kind=DocumentKind.FEE_INVOICE)
    assert (receipt.recipient, receipt.lease, receipt.amount, receipt.currency) == (
        p.exporter_org,
        lease,
        lease.total,
        lease.currency,
    )
    assert receipt.number == f"RC-{year()}-000001"
    assert (invoice.recipient, invoice.amount, invoice.tax_percent, invoice.tax_amount) == (
        p.owner_org,
        lease.platform_fee,
        0,
        0,
    )
    assert invoice.number == f"FI-{year()}-000001"
    assert invoice.payout == Payout.objects.get(escrow__lease=lease)

    text = document_text(receipt)
    for expected in (
        "Receipt",
        receipt.number,
        "Wareshare",
        "Issued to",
        p.exporter_org.legal_name,
        p.exporter_org.registration_number,
        "VAT no.: 91310000MA1K0000X",
        p.owner_org.legal_name,
        "VAT no.: NL123456789B01",
        format_money(lease.total, lease.currency),
        f"lease #{lease.pk}",
    ):
        assert expected in text, (expected, text)

    text = document_text(invoice)
    for expected in (
        "Invoice",
        invoice.number,
        p.owner_org.legal_name,
        p.owner_org.registration_number,
        "NL123456789B01",
        "Tax (0 %)",
        format_money(lease.platform_fee, lease.currency),
        format_money(lease.total, lease.currency),  # what the release took the fee from
    ):
        assert expected in text, (expected, text)
    assert p.exporter_org.legal_name not in text  # the exporter is no party to the platform's invoice


def test_documents_are_written_in_the_recipients_language(p):
    reads_chinese(p.exporter)
    lease = p.lease_in(S.ACTIVE)
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT)
    invoice = Document.objects.get(kind=DocumentKind.FEE_INVOICE)
    assert (receipt.language, invoice.language) == ("zh-hans", "en")
    text = document_text(receipt)
    for expected in (
        "收据",
        "编号",
        receipt.number,
        p.exporter_org.legal_name,
        "增值税号",
        "91310000MA1K0000X",
        "总额",
        "仓库业主",
    ):
        assert expected in text, (expected, text)
    assert "€" in text
    assert str(lease.total) in text.replace(",", "")
    assert "Receipt" not in text
    assert "Invoice" in document_text(invoice)


def test_the_same_document_renders_the_same_bytes_and_keeps_its_snapshot(p):
    p.lease_in(S.ACTIVE)
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT)
    first = document_pdf(receipt)
    p.exporter_org.legal_name = "Renamed Holdings"
    p.exporter_org.save()
    receipt.refresh_from_db()
    assert document_pdf(receipt) == first  # the parties were recorded when it was issued

    services.document_reissue(document=receipt)
    receipt.refresh_from_db()
    assert (receipt.number, receipt.revision) == (f"RC-{year()}-000001", 2)
    text = document_text(receipt)
    assert "Renamed Holdings" in text
    assert "revision 2" in text


def test_a_refund_gets_a_refund_receipt(p):
    lease = p.lease_in(S.FUNDED)
    leasing_services.lease_cancel(lease=lease, by=p.owner, side=CancelledBy.OWNER)
    refund_receipt = Document.objects.get(kind=DocumentKind.REFUND_RECEIPT)
    assert (refund_receipt.recipient, refund_receipt.amount) == (p.exporter_org, lease.total)
    assert refund_receipt.number == f"RF-{year()}-000001"
    text = document_text(refund_receipt)
    assert "Refund receipt" in text
    assert format_money(lease.total, lease.currency) in text
    assert p.exporter_org.legal_name in text


def test_the_fee_tax_setting_is_included_in_the_fee(p, settings):
    settings.WARESHARE_FEE_TAX_PERCENT = Decimal("20")
    lease = p.lease_in(S.ACTIVE)
    invoice = Document.objects.get(kind=DocumentKind.FEE_INVOICE)
    tax = (lease.platform_fee * 20 / 120).quantize(Decimal("0.01"))
    assert (invoice.amount, invoice.tax_percent, invoice.tax_amount) == (lease.platform_fee, 20, tax)
    text = document_text(invoice)
    assert "Tax (20 %)" in text
    assert format_money(tax, lease.currency) in text
    assert format_money(lease.platform_fee - tax, lease.currency) in text


def test_a_rolled_back_money_event_gives_its_number_back(p):
    lease = p.lease_in(S.ACTIVE)

    class Boom(Exception):
        pass

    def issue_then_fail() -> None:
        with transaction.atomic():
            services.document_create(
                kind=DocumentKind.RECEIPT,
                recipient=p.exporter_org,
                currency="EUR",
                amount=Decimal(1),
                parties={"issuer": services.platform_party(), "recipient": services.party(p.exporter_org)},
            )
            raise Boom

    with pytest.raises(Boom):
        issue_then_fail()
    second = p.lease_in(S.FUNDED, start=lease.end + timedelta(days=1), end=lease.end + timedelta(days=5))
    numbers = list(
        Document.objects.filter(kind=DocumentKind.RECEIPT).order_by("sequence").values_list("sequence", "lease")
    )
    assert numbers == [(1, lease.pk), (2, second.pk)]
    assert DocumentCounter.objects.get(kind=DocumentKind.RECEIPT).last == 2


def test_the_monthly_statement_lists_the_months_payouts(p, clock):
    lease = p.lease_in(S.ACTIVE)
    payout = Payout.objects.get(escrow__lease=lease)
    assert services.statements_issue_due() == 0  # the month is not over
    month_start, next_month = services.month_bounds(timezone.localdate())
    clock.set(next_month + timedelta(hours=1))
    assert services.statements_issue_due() == 1
    assert services.statements_issue_due() == 0  # once
    statement = Document.objects.get(kind=DocumentKind.STATEMENT)
    assert (statement.recipient, statement.period, statement.amount) == (p.owner_org, month_start.date(), payout.amount)
    assert statement.number == f"PS-{next_month.year}-000001"
    text = document_text(statement)
    for expected in (
        "Payout statement",
        statement.number,
        p.owner_org.legal_name,
        format_money(payout.amount, lease.currency),
    ):
        assert expected in text, (expected, text)

    reads_chinese(p.owner)
    services.document_reissue(document=statement)
    statement.refresh_from_db()
    assert statement.language == "zh-hans"
    text = document_text(statement)
    assert "付款对账单" in text
    assert statement.number in text
    assert p.owner_org.legal_name in text
