"""The PDF of a document, rendered on demand from its record (ReportLab).

Rendering is deterministic: the same record gives the same bytes (ReportLab's ``invariant`` mode
fixes the creation date and file id), in the document's language. All text is set in one embedded
CJK font (WenQuanYi Zen Hei, Debian's fonts-wqy-zenhei, installed by scripts/install_pdf_tools.sh):
it has Latin and Chinese glyphs, so Chinese is real, extractable text in either language.
"""

from datetime import date
from decimal import Decimal
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from common.money import format_money
from escrow.choices import PayoutStatus

from .choices import DocumentKind
from .models import Document

FONT = "WareshareCJK"


def font_register() -> str:
    """Register the embedded font once per process (``WARESHARE_PDF_FONT``: a TTF, or a TTC whose
    first face is used)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    path = Path(settings.WARESHARE_PDF_FONT)
    if not path.is_file():
        raise ImproperlyConfigured(
            f"WARESHARE_PDF_FONT {path} is missing: run scripts/install_pdf_tools.sh (Debian fonts-wqy-zenhei)"
        )
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def percent_text(value: Decimal) -> str:
    """19.00 -> "19 %", 0 -> "0 %", 7.50 -> "7.5 %"."""
    return f"{Decimal(value).normalize():f} %"


def day(text: str) -> str:
    return formats.date_format(date.fromisoformat(text), "DATE_FORMAT")


def line_text(line: dict[str, Any], currency: str) -> str:
    facts = {**line, "start": day(line["start"]), "end": day(line["end"])} if "start" in line else dict(line)
    kind = line["type"]
    if kind == "lease_payment":
        return (
            _(
                "Payment into escrow for lease #%(lease)s: %(quantity)s units at %(listing)s (%(warehouse)s), "
                "%(start)s – %(end)s"
            )
            % facts
        )
    if kind == "duplicate_payment":
        return _("Second payment for lease #%(lease)s, which was already paid: refunded in full") % facts
    if kind == "refund":
        return _("Refund for lease #%(lease)s: %(reason)s") % {**facts, "reason": _(line["reason"])}
    if kind == "platform_fee":
        return _("Platform fee (%(percent)s) on release %(sequence)s of lease #%(lease)s: %(released)s released") % {
            **facts,
            "percent": percent_text(Decimal(line["fee_percent"])),
            "released": format_money(Decimal(line["released"]), currency),
        }
    if kind == "payout":
        return _("Lease #%(lease)s, release %(sequence)s, %(date)s (%(status)s)") % {
            **facts,
            "date": day(line["date"]),
            "status": PayoutStatus(line["status"]).label,
        }
    return str(line.get("description", ""))


def title(document: Document) -> str:
    return {
        DocumentKind.RECEIPT: _("Receipt"),
        DocumentKind.REFUND_RECEIPT: _("Refund receipt"),
        DocumentKind.FEE_INVOICE: _("Invoice"),
        DocumentKind.STATEMENT: _("Payout statement"),
    }[DocumentKind(document.kind)]


def party_lines(heading: str, details: dict[str, str]) -> list[str]:
    country = str(countries.name(details["country"])) if details.get("country") else ""
    rows = [f"<b>{escape(heading)}</b>", escape(details["legal_name"])]
    if details.get("registration_number"):
        rows.append(escape(_("Registration no.: %(number)s") % {"number": details["registration_number"]}))
    rows.append(escape(_("VAT no.: %(number)s") % {"number": details.get("vat_number") or "—"}))
    if country:
        rows.append(escape(country))
    return rows


def note(document: Document) -> str:
    if document.kind == DocumentKind.RECEIPT:
        return _(
            "Wareshare received this payment into escrow for the lease. The warehouse owner is paid from it "
            "once the check-in is confirmed."
        )
    if document.kind == DocumentKind.REFUND_RECEIPT:
        return _("Wareshare returns this amount from escrow to the card that paid it.")
    if document.kind == DocumentKind.FEE_INVOICE:
        return _("The fee was deducted from the amount released to you: nothing is left to pay.")
    return _("Every payout released to you in the month, with its transfer status when the statement was issued.")


def document_pdf(document: Document) -> bytes:
    """The document's PDF bytes, in its language."""
    font = font_register()
    with translation.override(document.language):
        return _render(document, font)


def _render(document: Document, font: str) -> bytes:
    chinese = document.language.startswith("zh")
    wrap = {"wordWrap": "CJK"} if chinese else {}
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, **wrap)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    heading = ParagraphStyle("heading", parent=body, fontSize=18, leading=24, spaceAfter=4)
    amount_style = ParagraphStyle("amount", parent=body, alignment=2)
    currency = document.currency

    def money(value: Decimal | str) -> Paragraph:
        return Paragraph(escape(format_money(Decimal(value), currency)), amount_style)

    story: list[Any] = [Paragraph(escape(title(document)), heading)]
    facts = [_("No. %(number)s") % {"number": document.number}]
    facts.append(
        _("Issued on %(date)s") % {"date": formats.date_format(timezone.localdate(document.issued_at), "DATE_FORMAT")}
    )
    if document.period:
        facts.append(_("Month: %(month)s") % {"month": formats.date_format(document.period, "YEAR_MONTH_FORMAT")})
    if document.revision > 1 and document.reissued_at:
        facts.append(
            _("Reissued on %(date)s (revision %(revision)s)")
            % {
                "date": formats.date_format(timezone.localdate(document.reissued_at), "DATE_FORMAT"),
                "revision": document.revision,
            }
        )
    story += [Paragraph(escape(" · ".join(facts)), body), Spacer(1, 6 * mm)]

    parties = document.parties
    blocks = [party_lines(_("Issued by"), parties["issuer"]), party_lines(_("Issued to"), parties["recipient"])]
    if "owner" in parties:
        blocks.append(party_lines(_("Warehouse owner"), parties["owner"]))
    cells = [Paragraph("<br/>".join(block), body) for block in blocks]
    width = 170 * mm / len(cells)
    story += [Table([cells], colWidths=[width] * len(cells), style=[("VALIGN", (0, 0), (-1, -1), "TOP")])]
    story.append(Spacer(1, 8 * mm))

    rows: list[list[Any]] = [[Paragraph(escape(_("Description")), body), Paragraph(escape(_("Amount")), amount_style)]]
    for line in document.lines:
        rows.append([Paragraph(escape(line_text(line, currency)), body), money(line["amount"])])
    if document.kind == DocumentKind.FEE_INVOICE:
        net = document.amount - document.tax_amount
        rows.append([Paragraph(escape(_("Net amount")), body), money(net)])
        tax_label = _("Tax (%(percent)s)") % {"percent": percent_text(document.tax_percent)}
        rows.append([Paragraph(escape(tax_label), body), money(document.tax_amount)])
    rows.append([Paragraph(f"<b>{escape(_('Total'))}</b>", body), money(document.amount)])
    table = Table(rows, colWidths=[130 * mm, 40 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story += [table, Spacer(1, 8 * mm), Paragraph(escape(note(document)), small)]
    story.append(Paragraph(escape(_("Amounts in %(currency)s.") % {"currency": currency}), small))

    buffer = BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title(document)} {document.number}",
        author="Wareshare",
        invariant=1,
    )
    template.build(story)
    return buffer.getvalue()
