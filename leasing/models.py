import secrets
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

from .choices import (
    OPEN_TRANSFER_STATES,
    Billing,
    CancelledBy,
    GoodsCondition,
    InstalmentStatus,
    LeaseOrigin,
    LeaseState,
    ShipmentStatus,
    TransferGoods,
    TransferState,
)


class Lease(models.Model):
    """An exporter's lease of ``quantity`` units of a listing for ``start``..``end`` (inclusive).

    The price breakdown is frozen when the lease is requested. ``state`` changes only through
    ``leasing.services.lease_transition``, which writes a LeaseEvent for each change.
    """

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="leases")
    exporter = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="leases")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The calendar holds behind the lease: one from the request; a transfer splits it in several.
    reservations = models.ManyToManyField(Reservation, blank=True, related_name="leases")
    origin = models.CharField(max_length=10, choices=LeaseOrigin.choices, default=LeaseOrigin.REQUEST)
    # An extension or a transfer's lease continues ``parent``; with ``goods_carried`` the goods
    # checked in on the parent stay where they are, so this lease needs no check-in of its own.
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    goods_carried = models.BooleanField(default=False)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    start = models.DateField()
    end = models.DateField()
    goods_description = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=LeaseState.choices, default=LeaseState.REQUESTED)
    # monthly: the first payment pays the first month and saves the card; each later month is charged
    # off-session before it starts (``leasing.billing``; docs/money.md "Monthly billing").
    billing = models.CharField(max_length=10, choices=Billing.choices, default=Billing.UPFRONT)

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


class Instalment(models.Model):
    """One period of a lease's escrow release schedule (``leasing.schedule``).

    A lease of up to 30 days has one instalment; a longer one has one per month from its start.
    ``amount`` (the owner's part) and ``fee`` (the platform's) are what escrow still holds for the
    period; a transfer moves part of them out (``unit_days`` shrinks with it). The escrow releases an
    instalment at its start once the check-in is confirmed; a cancellation settles the rest by the
    listing's policy. Amounts add up to the lease total exactly (pro-rata shares round down, the
    last period takes the remainder; docs/money.md).
    """

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    start = models.DateField()
    end = models.DateField()
    unit_days = models.PositiveIntegerField()
    amount = money_field()
    fee = money_field()
    status = models.CharField(max_length=12, choices=InstalmentStatus.choices, default=InstalmentStatus.SCHEDULED)
    # Billed monthly: how many automatic off-session charges were started for this instalment.
    charge_tries = models.PositiveSmallIntegerField(default=0)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lease", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["lease", "sequence"], name="one_instalment_per_sequence"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="instalment_range_ordered"),
        ]

    def __str__(self) -> str:
        return f"Lease {self.lease_id} instalment {self.sequence}"

    @property
    def gross(self) -> Decimal:
        return self.amount + self.fee


def transfer_token() -> str:
    return secrets.token_urlsafe(32)


class LeaseTransfer(models.Model):
    """An exporter hands on the rest of a lease (all or part of the quantity, from ``start``) to
    another exporter organisation, at ``price``. ``to_organisation`` empty: any verified exporter
    with the link may take it. See ``leasing.transfers`` for the steps."""

    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="transfers")
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_offered"
    )
    receiver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_received"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    start = models.DateField("from")
    price = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    goods = models.CharField(max_length=10, choices=TransferGoods.choices, default=TransferGoods.CARRY)
    message = models.CharField(max_length=500, blank=True)
    # An open offer (no ``to_organisation``) is seen by other exporters only with this in its link.
    token = models.CharField(max_length=43, default=transfer_token, editable=False)
    state = models.CharField(max_length=10, choices=TransferState.choices, default=TransferState.OFFERED)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=300, blank=True)
    new_lease = models.OneToOneField(Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="transfer_in")
    # What the original exporter gets back (value, less the platform's transfer fee = refund): set
    # when offered, checked again at each step (``transfer_terms.transfer_problem``), final on completion.
    value = money_field(null=True, blank=True)
    refund = money_field(null=True, blank=True)
    fee = money_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lease"], condition=Q(state__in=OPEN_TRANSFER_STATES), name="one_open_transfer_per_lease"
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer of lease {self.lease_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TRANSFER_STATES

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
    # Of the received units, how many arrived damaged (a receiving exception; inventory writes them off).
    damaged_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(damaged_quantity__lte=F("received_quantity")), name="checkin_damaged_within_received"
            )
        ]

    def __str__(self) -> str:
        return f"{self.received_quantity} of {self.line}"

    @property
    def difference(self) -> int:
        return self.received_quantity - self.line.quantity


class CheckInPhoto(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="checkins/%Y/%m/", validators=[photo_extension, photo_size, photo_content])
    # Recorded at upload so that listing photos needs no storage call (null/empty on older photos).
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.image.name)
