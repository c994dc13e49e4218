from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MovementKind(models.TextChoices):
    """What moved the goods. Signs: received/found/moved_in add; the rest take away."""

    RECEIVED = "received", _("Received at check-in")
    FOUND = "found", _("Adjustment: found")
    LOST = "lost", _("Adjustment: lost")
    DAMAGED = "damaged", _("Adjustment: damaged")
    SHIPPED = "shipped", pgettext_lazy("stock movement", "Shipped out")
    MOVED_OUT = "moved_out", _("Moved to another lease")
    MOVED_IN = "moved_in", _("Moved in from another lease")
    REMOVED = "removed", _("Removed at the end of the lease")


class OrderKind(models.TextChoices):
    SHIP = "ship", _("Ship to a consignee")
    PICKUP = "pickup", _("Pick-up by the exporter's carrier")
    REMOVAL = "removal", _("Removal of everything at the end")


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the owner")
    ACCEPTED = "accepted", _("Accepted — stock held")
    PICKED = "picked", pgettext_lazy("outbound order", "Picked")
    SHIPPED = "shipped", pgettext_lazy("outbound order", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("outbound order", "Delivered")
    REFUSED = "refused", pgettext_lazy("outbound order", "Refused")
    CANCELLED = "cancelled", pgettext_lazy("outbound order", "Cancelled")


# Stock is held from acceptance until the order ships (or is cancelled/refused before shipping).
HOLDING_STATUSES = (OrderStatus.ACCEPTED, OrderStatus.PICKED)
OPEN_ORDER_STATUSES = (OrderStatus.REQUESTED, OrderStatus.ACCEPTED, OrderStatus.PICKED)
