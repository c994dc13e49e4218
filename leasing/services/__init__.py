"""Every write to leases, shipments and check-ins, one module per capability.

- ``requests``: request a lease; the owner accepts or declines; the exporter withdraws.
- ``payments``: pay into escrow; record a payment however its outcome arrives.
- ``shipments``: announce inbound shipments, mark them forward, check the goods in.
- ``confirmation``: the exporter confirms the check-in; escrow releases.
- ``cancellation``: cancel under the listing's policy, and the refund rule that prices it.
- ``extension``: extend an active lease.
- ``billing``: monthly billing: later months charged off-session, paid by hand, or the lease shortened.
- ``sweeps``: the time-driven steps.

They build on ``leasing.core`` (locking, the one transition, side checks) and raise from
``leasing.rules`` (what each side may do now). Transfers are ``leasing.transfers``. Every public
name is re-exported here, so ``from leasing import services`` reaches them all.
"""

from ..core import (
    ENDED_UNUSED,
    ENDS_TRANSFER_OFFERS,
    RELEASES_CAPACITY,
    STATE_WORDS,
    TRANSITIONS,
    Locked,
    held_by_day,
    held_on,
    lease_carry_in,
    lease_lock,
    lease_note,
    lease_transition,
)
from .billing import (
    CHARGE_DAYS_BEFORE,
    RETRY_AFTER_DAYS,
    billing_allowed,
    charge_at,
    instalment_charge,
    instalment_paid,
    instalment_pay,
    instalment_payable,
    lease_shorten,
    leases_charge_due,
    leases_shorten_unpaid,
)
from .cancellation import (
    POLICIES,
    CancellationLine,
    CancellationQuote,
    cancellation_quote,
    cancellation_settle,
    lease_cancel,
    lease_cancel_quote,
    lease_cancel_side,
    refund_percent,
    starts_at,
)
from .confirmation import lease_confirm, lease_confirmable, lease_dispute_open, lease_release
from .extension import lease_extend
from .payments import (
    lease_pay,
    lease_pay_finalize,
    lease_payment_duplicate,
    lease_payment_succeeded,
    leases_fund_paid,
)
from .requests import lease_accept, lease_decline, lease_open, lease_request, lease_withdraw
from .shipments import (
    CHECKIN_PHOTOS_MAX,
    DeclaredLine,
    checkin_record,
    shipment_announce,
    shipment_mark,
    shipments_waiting,
)
from .sweeps import leases_auto_confirm, leases_complete, leases_expire_holds, leases_expire_unpaid, leases_release_due

__all__ = [
    "CHARGE_DAYS_BEFORE",
    "CHECKIN_PHOTOS_MAX",
    "ENDED_UNUSED",
    "ENDS_TRANSFER_OFFERS",
    "POLICIES",
    "RELEASES_CAPACITY",
    "RETRY_AFTER_DAYS",
    "STATE_WORDS",
    "TRANSITIONS",
    "CancellationLine",
    "CancellationQuote",
    "DeclaredLine",
    "Locked",
    "billing_allowed",
    "cancellation_quote",
    "cancellation_settle",
    "charge_at",
    "checkin_record",
    "held_by_day",
    "held_on",
    "instalment_charge",
    "instalment_paid",
    "instalment_pay",
    "instalment_payable",
    "lease_accept",
    "lease_cancel",
    "lease_cancel_quote",
    "lease_cancel_side",
    "lease_carry_in",
    "lease_confirm",
    "lease_confirmable",
    "lease_decline",
    "lease_dispute_open",
    "lease_extend",
    "lease_lock",
    "lease_note",
    "lease_open",
    "lease_pay",
    "lease_pay_finalize",
    "lease_payment_duplicate",
    "lease_payment_succeeded",
    "lease_release",
    "lease_request",
    "lease_shorten",
    "lease_transition",
    "lease_withdraw",
    "leases_auto_confirm",
    "leases_charge_due",
    "leases_complete",
    "leases_expire_holds",
    "leases_expire_unpaid",
    "leases_fund_paid",
    "leases_release_due",
    "leases_shorten_unpaid",
    "refund_percent",
    "shipment_announce",
    "shipment_mark",
    "shipments_waiting",
    "starts_at",
]
