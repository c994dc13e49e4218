"""Who is told what when goods move or an order changes: in-app and by email, each recipient in
their own language (``common.emails.email_send``; template ``emails/inventory_update``).

``order_notify`` and ``stock_notify`` tell the other side of the step. The end-of-lease reminder and
the overstay notice are the lifecycle's (``inventory.lifecycle``, through ``leasing.notifications``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.selectors import member_emails
from common.emails import email_send
from common.i18n import lazy_format
from leasing.models import Lease

from .choices import MovementKind
from .models import OutboundOrder, StockMovement

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import Organisation

__all__ = ["MESSAGES", "order_notify", "stock_notify"]

# step -> (who: "owner" | "exporter" | "both", subject, what happened / what to do next). The texts
# take %(order)s, %(lease)s, %(sku)s, %(quantity)s, %(reason)s, %(carrier)s, %(tracking)s, %(warehouse)s.
MESSAGES: dict[str, tuple[str, StrOrPromise, StrOrPromise]] = {
    "order_requested": (
        "owner",
        _("New outbound order"),
        _("Order #%(order)s asks for goods out of lease #%(lease)s. Accept it to hold the stock, or refuse it."),
    ),
    "order_accepted": (
        "exporter",
        _("Your outbound order was accepted"),
        _("Order #%(order)s is accepted and its stock is held. The owner will pick and ship it."),
    ),
    "order_refused": (
        "exporter",
        _("Your outbound order was refused"),
        _("Order #%(order)s was refused: %(reason)s"),
    ),
    "order_cancelled": (
        "owner",
        _("An outbound order was cancelled"),
        _("The exporter cancelled order #%(order)s; its stock is free again."),
    ),
    "order_shipped": (
        "exporter",
        _("Your goods were shipped"),
        _("Order #%(order)s left the warehouse with %(carrier)s, tracking number %(tracking)s."),
    ),
    "order_delivered": ("both", _("An outbound order was delivered"), _("Order #%(order)s is delivered.")),
    "stock_adjusted": (
        "exporter",
        _("The owner adjusted your stock"),
        _(
            "%(kind)s: %(quantity)s units of %(sku)s on lease #%(lease)s. Reason: %(reason)s. "
            "If you disagree, open a dispute from the lease page."
        ),
    ),
}
ACTIONS: dict[str, StrOrPromise] = {"order": _("Open the order"), "lease": _("Open the lease")}


def _send(step: str, lease: Lease, path: str, values: dict[str, Any], action: StrOrPromise) -> None:
    who, subject, text = MESSAGES[step]
    organisations: list[Organisation] = []
    if who in ("owner", "both"):
        organisations.append(lease.listing.warehouse.organisation)
    if who in ("exporter", "both"):
        organisations.append(lease.exporter)
    values = {"lease": lease.pk, "warehouse": lease.listing.warehouse.name, **values}
    email_send(
        to=lambda: member_emails(organisations),  # looked up after the commit
        template="inventory_update",
        context={"subject": subject, "lines": [lazy_format(text, **values)], "action": action, "path": path},
    )


def _lease_path(lease: Lease) -> str:
    return reverse("leasing:lease_detail", args=[lease.pk])


def order_path(order: OutboundOrder) -> str:
    """The order's page if the pages define one (``inventory:order_detail``), else the lease's."""
    try:
        return reverse("inventory:order_detail", args=[order.pk])
    except NoReverseMatch:  # the order pages are not there (yet)
        return _lease_path(order.lease)


def order_notify(*, order: OutboundOrder, step: str) -> None:
    """Tell the other side about an order's ``step``; sent only if the transaction commits."""
    if step not in MESSAGES:
        return
    values = {
        "order": order.pk,
        "reason": order.refuse_reason,
        "carrier": order.carrier,
        "tracking": order.tracking_number,
    }
    _send(step, order.lease, order_path(order), values, ACTIONS["order"])


def stock_notify(*, movement: StockMovement, step: str) -> None:
    """Tell the exporter about a movement (an adjustment: ``stock_adjusted``); the link goes to the
    lease's page, where the exporter can open a dispute."""
    if step not in MESSAGES:
        return
    values = {
        "kind": MovementKind(movement.kind).label,
        "quantity": abs(movement.quantity),
        "sku": movement.product.sku,
        "reason": movement.reason,
    }
    _send(step, movement.lease, _lease_path(movement.lease), values, ACTIONS["lease"])
