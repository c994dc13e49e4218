"""Who is told what when a lease moves. One email template, one message per step.

The subjects and next steps are lazy: each recipient's copy is rendered in their own language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.selectors import member_emails
from common.emails import email_send
from common.i18n import lazy_format

from .choices import LeaseState
from .models import Lease

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import Organisation

# step -> (who: "owner" | "exporter" | "both", subject, what to do next)
MESSAGES: dict[str, tuple[str, StrOrPromise, StrOrPromise]] = {
    LeaseState.REQUESTED: ("owner", _("New lease request"), _("Accept or decline it before the hold expires.")),
    LeaseState.ACCEPTED: (
        "exporter",
        _("Your lease request was accepted"),
        _("Pay into escrow to secure the space."),
    ),
    LeaseState.DECLINED: ("exporter", _("Your lease request was declined"), _("Search for other space.")),
    LeaseState.EXPIRED: ("both", _("A lease expired"), _("The held capacity has been released.")),
    LeaseState.FUNDED: ("owner", _("A lease is paid into escrow"), _("Expect the inbound shipment.")),
    LeaseState.CANCELLED: ("both", _("A lease was cancelled"), _("See the lease for any refund.")),
    LeaseState.CHECKED_IN: (
        "exporter",
        _("Your goods were checked in"),
        _("Confirm the check-in, or open a dispute, before the window closes."),
    ),
    LeaseState.DISPUTED: ("both", _("A check-in is disputed"), _("Wareshare staff will review the evidence.")),
    LeaseState.ACTIVE: ("owner", _("Escrow released"), _("The payment is on its way to your payout account.")),
    LeaseState.COMPLETED: ("both", _("A lease is complete"), _("Thank you for using Wareshare.")),
    "shipment_announced": ("owner", _("An inbound shipment was announced"), _("Record its arrival when it comes.")),
    "shipment_arrived": ("exporter", _("Your shipment arrived"), _("The owner will check the goods in.")),
    "part_checked_in": (
        "exporter",
        _("Part of your goods were checked in"),
        _("Wait for the other shipments, or confirm what arrived so far to release the payment to the owner."),
    ),
}


# transfer step -> (subject, what happened; by the transfer's quantity, ``count``). ``transfer_notify``
# fills in the named values.
TRANSFER_MESSAGES: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "offered": (
        _("A lease transfer is offered to you"),
        ngettext_lazy(
            "%(exporter)s offers %(count)s unit at %(warehouse)s from %(date)s for %(price)s. Review and accept it.",
            "%(exporter)s offers %(count)s units at %(warehouse)s from %(date)s for %(price)s. Review and accept it.",
            "count",
        ),
    ),
    "needs_consent": (
        _("A lease transfer needs your consent"),
        ngettext_lazy(
            "%(exporter)s hands %(count)s unit from %(date)s on to %(receiver)s.",
            "%(exporter)s hands %(count)s units from %(date)s on to %(receiver)s.",
            "count",
        ),
    ),
    "refused": (_("The owner refused a lease transfer"), "%(reason)s"),  # the owner's own words
    "approved": (_("Your lease transfer is approved"), _("Pay into escrow to complete the transfer.")),
    "completed": (
        _("A lease transfer is complete"),
        ngettext_lazy(
            "%(count)s unit from %(date)s transferred to %(receiver)s (lease #%(lease)s); "
            "refunded %(refund)s after a %(fee)s transfer fee",
            "%(count)s units from %(date)s transferred to %(receiver)s (lease #%(lease)s); "
            "refunded %(refund)s after a %(fee)s transfer fee",
            "count",
        ),
    ),
}


# Monthly billing step -> (subject, the exporter's text, the owner's text); ``billing_notify`` fills
# in the named values.
BILLING_MESSAGES: dict[str, tuple[StrOrPromise, StrOrPromise, StrOrPromise]] = {
    "charge_failed": (
        _("A monthly payment failed"),
        _(
            "We could not charge month %(month)s (%(amount)s) to your saved card: %(reason)s "
            "Pay it by hand before %(deadline)s, or the lease ends on %(last_day)s."
        ),
        _(
            "The exporter's card was not charged for month %(month)s (%(amount)s). We retry and ask them to "
            "pay by hand; unpaid on %(deadline)s, the lease ends on %(last_day)s."
        ),
    ),
    "shortened": (
        _("A lease was shortened"),
        _(
            "Month %(month)s was not paid when it began: the lease now ends on %(last_day)s and the space "
            "after it is released. Take your goods out by then."
        ),
        _(
            "Month %(month)s was not paid when it began: the lease now ends on %(last_day)s and the space "
            "after it is back in your calendar."
        ),
    ),
}


def billing_notify(step: str, lease: Lease, /, **values: object) -> None:
    """Email (and so notify in the app) both sides about a monthly billing ``step``: the exporter
    pointed at the page to pay the month by hand, the owner at the lease."""
    subject, exporter_text, owner_text = BILLING_MESSAGES[step]
    pay = reverse("leasing:lease_pay", args=[lease.pk]) if step == "charge_failed" else ""
    values = {"reason": "", **values}
    lease_email([lease.exporter], lease, subject, lazy_format(exporter_text, **values), pay)
    lease_email([lease.listing.warehouse.organisation], lease, subject, lazy_format(owner_text, **values))


def transfer_notify(step: str, to: list[Organisation], lease: Lease, /, path: str = "", **values: object) -> None:
    """Email the members of ``to`` about a transfer ``step`` (``TRANSFER_MESSAGES``) of ``lease``."""
    subject, text = TRANSFER_MESSAGES[step]
    lease_email(to, lease, subject, lazy_format(text, **values) if values else text, path)


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
    lease_email(sides, lease, subject, next_step)


def lease_email(
    organisations: list[Organisation],
    lease: Lease,
    subject: StrOrPromise,
    next_step: StrOrPromise,
    path: str = "",
) -> None:
    """The lease update email to the members of ``organisations``, pointing at ``path`` (the lease's
    page by default). ``subject`` and ``next_step`` lazy: each recipient reads them in their language."""
    email_send(
        to=lambda: member_emails(organisations),  # looked up after the commit
        template="lease_update",
        context={
            "lease": lease,
            "subject": subject,
            "next_step": next_step,
            "path": path or reverse("leasing:lease_detail", args=[lease.pk]),
        },
    )
