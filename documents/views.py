"""The organisation's documents: a list, and each document's PDF. Another organisation's: 404."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest

from .choices import DocumentKind
from .models import Document
from .pdf import document_pdf
from .selectors import documents_list, documents_visible_to

PAGE_SIZE = 50


def pdf_response(document: Document) -> HttpResponse:
    response = HttpResponse(document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@organisation_required
def document_list(request: OrganisationRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in DocumentKind.values:
        kind = ""
    lease_text = request.GET.get("lease", "")
    lease = int(lease_text) if lease_text.isascii() and lease_text.isdigit() and len(lease_text) < 10 else None
    rows = documents_list(organisation=request.organisation, kind=kind, lease=lease)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "documents": page.object_list, "kind": kind, "lease": lease, "kinds": DocumentKind.choices}
    return render(request, "documents/document_list.html", context)


@organisation_required
def document_download(request: OrganisationRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(documents_visible_to(organisation=request.organisation), pk=pk)
    return pdf_response(document)
