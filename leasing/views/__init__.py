"""Lease pages. Thin: find the lease through the current organisation (another organisation's
lease is a 404), read what the side may do from ``leasing.rules``, call one service or selector,
turn ApplicationError into a form error or a message, redirect after a POST."""

from .changes import lease_cancel, lease_extend
from .common import lease_for, lease_page_render, page_of, to_lease
from .leases import (
    exporter_dashboard,
    lease_accept,
    lease_confirm,
    lease_decline,
    lease_detail,
    lease_request,
    lease_withdraw,
    owner_dashboard,
)
from .payments import lease_pay
from .shipments import checkin_create, shipment_create, shipment_mark
from .transfers import transfer_accept, transfer_consent, transfer_create, transfer_detail, transfer_withdraw

__all__ = [
    "checkin_create",
    "exporter_dashboard",
    "lease_accept",
    "lease_cancel",
    "lease_confirm",
    "lease_decline",
    "lease_detail",
    "lease_extend",
    "lease_for",
    "lease_page_render",
    "lease_pay",
    "lease_request",
    "lease_withdraw",
    "owner_dashboard",
    "page_of",
    "shipment_create",
    "shipment_mark",
    "to_lease",
    "transfer_accept",
    "transfer_consent",
    "transfer_create",
    "transfer_detail",
    "transfer_withdraw",
]
