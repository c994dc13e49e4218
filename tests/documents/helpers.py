"""Reading a document's PDF back as text, the way a person's PDF reader would (poppler's pdftotext)."""

import shutil
import subprocess

from accounts.models import Organisation, User
from documents.models import Document
from documents.pdf import document_pdf

PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(data: bytes) -> str:
    """The text of a PDF; fails if it does not open. pdftotext comes from scripts/install_pdf_tools.sh."""
    assert PDFTOTEXT, "pdftotext is missing: run scripts/install_pdf_tools.sh (make does it as part of its setup)"
    assert data.startswith(b"%PDF-"), data[:20]
    done = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def document_text(document: Document) -> str:
    return " ".join(pdf_text(document_pdf(document)).split())


def legal(organisation: Organisation, *, vat: str) -> Organisation:
    """Give ``organisation`` legal details to find on its documents."""
    organisation.legal_name = f"{organisation.name} Legal Ltd"
    organisation.registration_number = f"REG-{organisation.pk:05d}"
    organisation.vat_number = vat
    organisation.save()
    return organisation


def reads_chinese(user: User) -> None:
    user.language = "zh-hans"
    user.save(update_fields=["language"])
