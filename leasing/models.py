from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES, Money
from warehouses.models import Listing, Reservation
from warehouses.validators import photo_content, photo_extension, photo_size

from .choices import GoodsCondition, LeaseState, ShipmentStatus


class Lease(models.Model):
    """An exporter's lease of ``quantity`` units of a listing for ``start``..``end`` (inclusive).

    The price breakdown is frozen when the lease is requested. ``state`` changes only through
    ``leasing.services.lease_transition``, which writes a LeaseEvent for each change.
    """

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="leases")
    exporter = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="leases")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reservation = models.OneToOneField(
        Reservation, on_delete=models.PROTECT, null=True, blank=True, related_name="lease"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    start = models.DateField()
    end = models.DateField()
    goods_description = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=LeaseState.choices, default=LeaseState.REQUESTED)

    currency = models.CharField(max_length=3, choices=CURRENCIES)
    unit_price = money_field()
    storage_amount = money_field()
    handling_in_amount = money_field()
    handling_out_amount = money_field()
    platform_fee = money_field()
    platform_fee_percent = models.DecimalField(max_digits=5, decimal_places=2)
    total = money_field()

    hold_expires_at = models.DateTimeField(null=True, blank=True)
    payment_due_at = models.DateTimeField(null=True, blank=True)
    confirm_by = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "hold_expires_at"]),
            models.Index(fields=["state", "payment_due_at"]),
            models.Index(fields=["state", "confirm_by"]),
            models.Index(fields=["state", "end"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="lease_range_ordered"),
        ]

    def __str__(self) -> str:
        return f"Lease #{self.pk}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def owner(self) -> Organisation:
        return self.listing.warehouse.organisation

    @property
    def owner_amount(self) -> Decimal:
        """What the owner receives on release: the total less the platform fee."""
        return self.total - self.platform_fee

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


class LeaseEvent(models.Model):
    """Append-only history of a lease: every state change and notable step."""

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_state = models.CharField(max_length=20, choices=LeaseState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=LeaseState.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.lease_id}: {self.from_state} → {self.to_state}"


class InboundShipment(models.Model):
    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=100)
    eta = models.DateField("estimated arrival")
    weight_kg = models.DecimalField("total weight (kg)", max_digits=12, decimal_places=2, null=True, blank=True)
    customs_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.ANNOUNCED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def declared_quantity(self) -> int:
        return sum(line.quantity for line in self.lines.all())


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField("SKU", max_length=100, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    weight_kg = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class ShipmentEvent(models.Model):
    """The shipment's tracking timeline, seen by both sides."""

    shipment = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.status}"


class CheckIn(models.Model):
    shipment = models.OneToOneField(InboundShipment, on_delete=models.PROTECT, related_name="checkin")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(max_length=20, choices=GoodsCondition.choices, default=GoodsCondition.GOOD)
    notes = models.TextField(blank=True)
    declared_total = models.PositiveIntegerField()
    received_total = models.PositiveIntegerField()
    tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2)
    within_tolerance = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Check-in of shipment {self.shipment_id}"

    @property
    def difference(self) -> int:
        return self.received_total - self.declared_total


class CheckInLine(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="lines")
    line = models.OneToOneField(ShipmentLine, on_delete=models.PROTECT, related_name="received")
    received_quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.received_quantity} of {self.line}"

    @property
    def difference(self) -> int:
        return self.received_quantity - self.line.quantity


class CheckInPhoto(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="checkins/%Y/%m/", validators=[photo_extension, photo_size, photo_content])

    def __str__(self) -> str:
        return str(self.image.name)
