"""Reads: the documents an organisation may see are the ones addressed to it."""

from django.db.models import QuerySet

from accounts.models import Organisation

from .models import Document


def documents_visible_to(*, organisation: Organisation) -> QuerySet[Document]:
    return Document.objects.filter(recipient=organisation)


def documents_list(*, organisation: Organisation, kind: str = "", lease: int | None = None) -> QuerySet[Document]:
    """The organisation's documents, newest first, optionally of one kind or one lease."""
    rows = documents_visible_to(organisation=organisation)
    if kind:
        rows = rows.filter(kind=kind)
    if lease is not None:
        rows = rows.filter(lease_id=lease)
    return rows.order_by("-issued_at", "-pk")
