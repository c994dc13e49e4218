"""Goods in the warehouse (docs/inventory.md).

``StockMovement`` is the append-only ledger of goods: every receipt, adjustment, shipment, move and
removal is one row with a signed quantity. ``StockLevel`` is its running sum per (lease, product),
written in the same transaction as each movement: ``on_hand`` = Σ movements, and ``held`` = units
of accepted, not yet shipped outbound orders. The CHECKs make negative stock and holding more than is
on hand impossible in the database, whatever the code above does.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES
from leasing.models import CheckInLine, Lease, LeaseTransfer
from warehouses.validators import photo_content, photo_extension, photo_size

from .choices import MovementKind, OrderKind, OrderStatus


class Product(models.Model):
    """One SKU of an exporter organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField("SKU", max_length=64)
    description = models.CharField(max_length=200)
    units_per_carton = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    units_per_pallet = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    weight_kg = models.DecimalField("unit weight (kg)", max_digits=10, decimal_places=3, null=True, blank=True)
    length_cm = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    width_cm = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    hs_code = models.CharField("HS code", max_length=12, blank=True)
    origin_country = CountryField("country of origin", blank=True)
    unit_value = money_field(verbose_name="declared unit value", null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCIES, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sku"], name="one_sku_per_organisation"),
            models.CheckConstraint(
                condition=Q(unit_value__isnull=True) | ~Q(currency=""), name="product_value_has_currency"
            ),
        ]

    def __str__(self) -> str:
        return self.sku


class StockLevel(models.Model):
    """On hand and held of one product on one lease: the running sum of its movements."""

    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    held = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lease", "product"]
        constraints = [
            models.UniqueConstraint(fields=["lease", "product"], name="one_stock_level_per_lease_product"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(held__gte=0) & Q(held__lte=F("on_hand")), name="stock_held_within_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} on lease {self.lease_id}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.held


class StockMovement(models.Model):
    """One movement of goods (append-only): ``quantity`` is signed (+ in, − out), never 0."""

    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    quantity = models.IntegerField()
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What caused it, where there is one: the check-in line, the outbound order, the transfer.
    checkin_line = models.ForeignKey(CheckInLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    order = models.ForeignKey(
        "OutboundOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    transfer = models.ForeignKey(LeaseTransfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The other side of a move between leases (moved_out → the new lease; moved_in → the old one).
    other_lease = models.ForeignKey(Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["lease", "product", "created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_not_zero")]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.product} (lease {self.lease_id})"


class AdjustmentPhoto(models.Model):
    movement = models.ForeignKey(StockMovement, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="stock/%Y/%m/", validators=[photo_extension, photo_size, photo_content])
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.image.name)


class OutboundOrder(models.Model):
    """The exporter asks the owner to send goods out of a lease (or to remove everything)."""

    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="outbound_orders")
    kind = models.CharField(max_length=10, choices=OrderKind.choices, default=OrderKind.SHIP)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.REQUESTED)
    reference = models.CharField("your reference", max_length=64, blank=True)
    consignee_name = models.CharField(max_length=200, blank=True)
    consignee_address = models.CharField(max_length=300, blank=True)
    consignee_city = models.CharField(max_length=100, blank=True)
    consignee_country = CountryField(blank=True)
    consignee_phone = models.CharField(max_length=40, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    refuse_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Outbound order #{self.pk}"


class OutboundLine(models.Model):
    order = models.ForeignKey(OutboundOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="one_outbound_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="outbound_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class OrderEvent(models.Model):
    """The order's timeline, seen by both sides."""

    order = models.ForeignKey(OutboundOrder, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.status}"


# Goods over a lease's life: transfer stock lines, end reminders, overstays (inventory/lifecycle.py).
from .models_lifecycle import LeaseEndReminder, Overstay, TransferStockLine  # noqa: E402, F401
