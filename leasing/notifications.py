"""Who is told what when a lease moves. One email template, one message per step."""

from django.urls import reverse

from accounts.selectors import member_emails
from common.emails import email_send

from .choices import LeaseState
from .models import Lease

# step -> (who: "owner" | "exporter" | "both", subject, what to do next)
MESSAGES: dict[str, tuple[str, str, str]] = {
    LeaseState.REQUESTED: ("owner", "New lease request", "Accept or decline it before the hold expires."),
    LeaseState.ACCEPTED: (
        "exporter",
        "Your lease request was accepted",
        "Pay into escrow to secure the space.",
    ),
    LeaseState.DECLINED: ("exporter", "Your lease request was declined", "Search for other space."),
    LeaseState.EXPIRED: ("both", "A lease expired", "The held capacity has been released."),
    LeaseState.FUNDED: ("owner", "A lease is paid into escrow", "Expect the inbound shipment."),
    LeaseState.CANCELLED: ("both", "A lease was cancelled", "See the lease for any refund."),
    LeaseState.CHECKED_IN: (
        "exporter",
        "Your goods were checked in",
        "Confirm the check-in, or open a dispute, before the window closes.",
    ),
    LeaseState.DISPUTED: ("both", "A check-in is disputed", "Wareshare staff will review the evidence."),
    LeaseState.ACTIVE: ("owner", "Escrow released", "The payment is on its way to your payout account."),
    LeaseState.COMPLETED: ("both", "A lease is complete", "Thank you for using Wareshare."),
    "shipment_announced": ("owner", "An inbound shipment was announced", "Record its arrival when it comes."),
    "shipment_arrived": ("exporter", "Your shipment arrived", "The owner will check the goods in."),
}


def lease_notify(*, lease: Lease, step: str) -> None:
    """Email the side(s) that must act on ``step``; sent only if the transaction commits."""
    if step not in MESSAGES:
        return
    who, subject, next_step = MESSAGES[step]
    sides = []
    if who in ("owner", "both"):
        sides.append(lease.listing.warehouse.organisation)
    if who in ("exporter", "both"):
        sides.append(lease.exporter)
    email_send(
        to=member_emails(sides),
        template="lease_update",
        context={
            "lease": lease,
            "subject": subject,
            "next_step": next_step,
            "path": reverse("leasing:lease_detail", args=[lease.pk]),
        },
    )
