"""Receipts, fee invoices and payout statements addressed to the caller's organisation."""

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from documents.choices import DocumentKind
from documents.models import Document
from documents.selectors import documents_list, documents_visible_to
from documents.views import pdf_response

from ..filters import ApiFilterSet, IdFilter
from ..pagination import cursor_by
from ..schema import errors
from ..serializers.documents import DocumentSerializer
from .base import ApiView
from .leasing import OBJECT_READ


class DocumentFilter(ApiFilterSet):
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)
    lease = IdFilter(field_name="lease_id", label="Lease id")

    class Meta:
        model = Document
        fields: list[str] = []


class DocumentListView(ApiView):
    queryset = Document.objects.none()
    filterset_class = DocumentFilter
    pagination_class = cursor_by("-issued_at", "-pk")

    @extend_schema(
        summary="Your receipts, invoices and statements",
        description="Documents addressed to your organisation, newest first: the exporter's receipt for each "
        "payment and refund, the platform's fee invoice for each release to the owner, the owner's monthly "
        "payout statement. Each has a number, gapless per kind and year.",
        responses={200: DocumentSerializer(many=True), **errors(400, 401, 403, 429)},
        tags=["documents"],
    )
    def get(self, request: Request) -> Response:
        rows: QuerySet[Document] = documents_list(organisation=self.organisation)
        return self.page(rows, DocumentSerializer)


class DocumentDetailView(ApiView):
    queryset = Document.objects.none()

    @extend_schema(
        summary="A document", responses={200: DocumentSerializer, **errors(*OBJECT_READ)}, tags=["documents"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.show(
            DocumentSerializer, get_object_or_404(documents_visible_to(organisation=self.organisation), pk=pk)
        )


class DocumentPdfView(ApiView):
    queryset = Document.objects.none()

    @extend_schema(
        summary="Download a document as PDF",
        description="Rendered from the record in the recipient's language; the same document gives the same bytes.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            **errors(*OBJECT_READ),
        },
        tags=["documents"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return pdf_response(get_object_or_404(documents_visible_to(organisation=self.organisation), pk=pk))
