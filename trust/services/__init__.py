"""Every write in trust, one module per capability, re-exported here (``from trust import
services``; ``services.dispute_open(...)``):

- ``verification``: organisations submit their details, staff approve or reject (KYC);
- ``blacklist``: staff add and lift entries; an organisation's standing (registered with
  ``leasing.hooks`` in ``TrustConfig.ready()``);
- ``disputes``: opening a dispute, its thread of messages and evidence;
- ``resolution``: staff decide; money moves through ``leasing.settlement.lease_settle``;
- ``reviews``: each side reviews the other after completion;
- ``bank_payouts``: staff record a payout sent by bank transfer (audited, the owner told);
- ``audit``: the audit log every staff action writes in its own transaction;
- ``shared``: staff only, which side of a lease the caller acts for, uploaded files.
"""

from .audit import audit_record, audit_snapshot
from .bank_payouts import bank_payout_record
from .blacklist import (
    BLACKLIST_FIELDS,
    BLOCKED_ACTIONS,
    blacklist_add,
    blacklist_expire_due,
    blacklist_remove,
    organisation_require_in_good_standing,
    organisations_require_in_good_standing,
)
from .disputes import AUTHOR_NAMES, dispute_kind_default, dispute_message_post, dispute_notify, dispute_open
from .resolution import Settlement, dispute_resolve, fee_share, settlement_plan
from .reviews import review_create
from .shared import CheckedFile, files_check, lease_side, staff_require
from .verification import ORGANISATION_FIELDS, verification_approve, verification_reject, verification_submit

__all__ = [
    "AUTHOR_NAMES",
    "BLACKLIST_FIELDS",
    "BLOCKED_ACTIONS",
    "ORGANISATION_FIELDS",
    "CheckedFile",
    "Settlement",
    "audit_record",
    "audit_snapshot",
    "bank_payout_record",
    "blacklist_add",
    "blacklist_expire_due",
    "blacklist_remove",
    "dispute_kind_default",
    "dispute_message_post",
    "dispute_notify",
    "dispute_open",
    "dispute_resolve",
    "fee_share",
    "files_check",
    "lease_side",
    "organisation_require_in_good_standing",
    "organisations_require_in_good_standing",
    "review_create",
    "settlement_plan",
    "staff_require",
    "verification_approve",
    "verification_reject",
    "verification_submit",
]
