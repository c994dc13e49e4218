"""What documents adds to the lease page (``leasing.hooks.lease_page_extras``): the side's own
documents for the lease (the exporter's receipts, the owner's fee invoices), in one query."""

from typing import Any

from accounts.models import Organisation
from leasing.models import Lease

from .selectors import documents_visible_to


def lease_page_extras(lease: Lease, organisation: Organisation) -> dict[str, Any]:
    rows = documents_visible_to(organisation=organisation).filter(lease=lease).order_by("issued_at", "pk")
    return {"lease_documents": list(rows)}
