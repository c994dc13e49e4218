from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


# Outbound webhook events, with what each tells the receiver.
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


EVENT_TYPES: tuple[tuple[str, StrOrPromise], ...] = (
    ("lease.requested", _("An exporter requested a lease")),
    ("lease.accepted", _("The owner accepted (or the listing booked instantly)")),
    ("lease.declined", _("The owner declined")),
    ("lease.expired", _("A hold or an unpaid lease expired")),
    ("lease.cancelled", _("The lease was withdrawn or cancelled")),
    ("lease.funded", _("The exporter paid into escrow")),
    ("lease.checked_in", _("The goods were checked in; the exporter's confirmation window runs")),
    ("lease.disputed", _("A side opened a dispute: the check-in, or damage or loss")),
    ("lease.active", _("The check-in was confirmed; the lease runs")),
    ("lease.completed", _("The lease ended")),
    ("lease.transferred", _("All of the lease was handed on to other exporters")),
    ("transfer.offered", _("The exporter offered a lease transfer")),
    ("transfer.accepted", _("Another exporter took the transfer offer; the owner is asked to consent")),
    ("transfer.approved", _("The transfer was approved; the receiver's lease awaits its payment")),
    ("transfer.declined", _("The owner refused the transfer")),
    ("transfer.withdrawn", _("The exporter withdrew the transfer offer")),
    ("transfer.lapsed", _("The transfer offer lapsed")),
    ("transfer.completed", _("The receiver paid; the transfer is complete")),
    ("dispute.opened", _("A dispute was opened")),
    ("dispute.resolved", _("Wareshare resolved the dispute")),
    ("shipment.announced", _("The exporter announced an inbound shipment")),
    ("shipment.in_transit", _("The owner marked a shipment in transit")),
    ("shipment.arrived", _("The owner marked a shipment arrived")),
    ("checkin.recorded", _("The owner counted the goods in")),
    ("escrow.released", _("The escrow was released to the owner")),
    ("payout.waiting", _("The owner's payout waits for a payout account")),
    ("payout.failed", _("The owner's payout failed at the processor; it is retried")),
    ("payout.paid", _("The owner's payout was transferred")),
    ("payout.queued", _("The owner's payout waits for Wareshare's staff to send it by bank transfer")),
    ("refund.pending", _("A refund to the exporter's card was issued")),
    ("refund.succeeded", _("The refund was returned to the exporter's card")),
    ("refund.failed", _("The refund failed at the processor; it is retried")),
    ("stock.moved", _("Goods moved: received, adjusted, shipped out, moved between leases or removed")),
    ("order.requested", _("The exporter ordered goods out of the warehouse")),
    ("order.accepted", _("The owner accepted an outbound order; its stock is held")),
    ("order.refused", _("The owner refused an outbound order")),
    ("order.cancelled", _("The exporter cancelled an outbound order")),
    ("order.picked", _("The owner picked an outbound order")),
    ("order.shipped", _("The owner shipped an outbound order")),
    ("order.delivered", _("An outbound order was delivered")),
)
EVENT_NAMES = frozenset(name for name, _label in EVENT_TYPES)
