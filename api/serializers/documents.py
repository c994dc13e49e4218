"""Receipts, fee invoices and payout statements (documents/): the record; its PDF is a download."""

from django.urls import reverse
from rest_framework import serializers

from documents.models import Document


class DocumentSerializer(serializers.ModelSerializer):
    lease = serializers.IntegerField(source="lease_id", allow_null=True, read_only=True)
    pdf = serializers.SerializerMethodField(help_text="Where to download the PDF (application/pdf).")

    class Meta:
        model = Document
        fields = [
            "id",
            "number",
            "kind",
            "lease",
            "period",
            "currency",
            "amount",
            "tax_percent",
            "tax_amount",
            "language",
            "issued_at",
            "revision",
            "pdf",
        ]
        read_only_fields = fields

    def get_pdf(self, document: Document) -> str:
        return reverse("api:document_pdf", args=[document.pk])
