from django.db import models


class KeyScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed (gave up)"


# Outbound webhook events, with what each tells the receiver.
EVENT_TYPES: tuple[tuple[str, str], ...] = (
    ("lease.requested", "An exporter requested a lease"),
    ("lease.accepted", "The owner accepted (or the listing booked instantly)"),
    ("lease.declined", "The owner declined"),
    ("lease.expired", "A hold or an unpaid lease expired"),
    ("lease.cancelled", "The lease was withdrawn or cancelled"),
    ("lease.funded", "The exporter paid into escrow"),
    ("lease.checked_in", "The goods were checked in; the exporter's confirmation window runs"),
    ("lease.disputed", "The exporter disputed the check-in"),
    ("lease.active", "The check-in was confirmed; the lease runs"),
    ("lease.completed", "The lease ended"),
    ("shipment.announced", "The exporter announced an inbound shipment"),
    ("shipment.in_transit", "The owner marked a shipment in transit"),
    ("shipment.arrived", "The owner marked a shipment arrived"),
    ("checkin.recorded", "The owner counted the goods in"),
    ("escrow.released", "The escrow was released to the owner"),
    ("payout.paid", "The owner's payout was transferred"),
)
EVENT_NAMES = frozenset(name for name, _ in EVENT_TYPES)
