"""Reads for the lease pages, one module per page family; nothing here writes.

- ``visibility``: what an organisation may see; words, tones and links every lease page uses.
- ``detail``: the lease page, and what the viewer may do now (read from ``leasing.rules``).
- ``dashboards``: the owner's and the exporter's dashboards.
- ``transfers``: the transfer pages; the extension price.
- ``cancellation``: the cancellation page's policy and refund lines.

Every function returns querysets or plain data built in a fixed number of queries, whatever the
number of leases, shipments or events. Public names are re-exported here.
"""

from ..rules import EXPORTER, OWNER
from .cancellation import CancellationRow, CancellationView, lease_cancellation_get, policy_rule
from .dashboards import (
    EXPORTER_TODO,
    ExporterDashboard,
    NextAction,
    OwnerDashboard,
    exporter_dashboard_get,
    exporter_next_action,
    owner_dashboard_get,
)
from .detail import (
    InstalmentRow,
    LeaseActions,
    LeaseChanges,
    LeaseDetail,
    RelatedLease,
    TimelineItem,
    lease_actions,
    lease_detail_get,
    lease_detail_queryset,
    lease_instalments,
    lease_live_extension,
)
from .transfers import (
    OFFERER,
    RECEIVER,
    TransferDetail,
    extension_quote,
    lease_units_on,
    transfer_detail_get,
    transfer_offered_by,
    transfer_owned_by,
    transfer_receivers,
    transfer_value_or_none,
    transfer_visible_to,
    with_transfer_parties,
)
from .visibility import (
    CLOSED_STATES,
    DEADLINES,
    NEXT_STEP,
    OPEN_STATES,
    SHIPMENTS_TO_RECEIVE,
    STATE_TONE,
    date_text,
    lease_breakdown,
    lease_exported_by,
    lease_owned_by,
    lease_url,
    lease_visible_to,
    note_text,
    shipment_owned_by,
    with_parties,
)

__all__ = [
    "CLOSED_STATES",
    "DEADLINES",
    "EXPORTER",
    "EXPORTER_TODO",
    "NEXT_STEP",
    "OFFERER",
    "OPEN_STATES",
    "OWNER",
    "RECEIVER",
    "SHIPMENTS_TO_RECEIVE",
    "STATE_TONE",
    "CancellationRow",
    "CancellationView",
    "ExporterDashboard",
    "InstalmentRow",
    "LeaseActions",
    "LeaseChanges",
    "LeaseDetail",
    "NextAction",
    "OwnerDashboard",
    "RelatedLease",
    "TimelineItem",
    "TransferDetail",
    "date_text",
    "exporter_dashboard_get",
    "exporter_next_action",
    "extension_quote",
    "lease_actions",
    "lease_breakdown",
    "lease_cancellation_get",
    "lease_detail_get",
    "lease_detail_queryset",
    "lease_exported_by",
    "lease_instalments",
    "lease_live_extension",
    "lease_owned_by",
    "lease_units_on",
    "lease_url",
    "lease_visible_to",
    "note_text",
    "owner_dashboard_get",
    "policy_rule",
    "shipment_owned_by",
    "transfer_detail_get",
    "transfer_offered_by",
    "transfer_owned_by",
    "transfer_receivers",
    "transfer_value_or_none",
    "transfer_visible_to",
    "with_parties",
    "with_transfer_parties",
]
