from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES

from .choices import FEATURES, CancellationPolicy, CustomsStatus, ListingStatus, PortKind, Unit
from .validators import photo_content, photo_extension, photo_size


class Port(models.Model):
    """A sea or air port from the shipped UN/LOCODE list (docs/data-sources.md)."""

    locode = models.CharField("UN/LOCODE", max_length=5, primary_key=True)
    name = models.CharField(max_length=100)
    country = CountryField()
    kind = models.CharField(max_length=4, choices=PortKind.choices, default=PortKind.SEA)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.locode})"


class Warehouse(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="warehouses")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    country = CountryField()
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    nearest_port = models.ForeignKey(Port, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    timezone = models.CharField(max_length=64, default="UTC")
    customs_status = models.CharField(max_length=20, choices=CustomsStatus.choices, default=CustomsStatus.GENERAL)
    temperature_controlled = models.BooleanField(default=False)
    hazmat = models.BooleanField("hazmat certified", default=False)
    racking = models.BooleanField(default=False)
    access_24_7 = models.BooleanField("24/7 access", default=False)
    cctv = models.BooleanField("CCTV", default=False)
    loading_dock = models.BooleanField(default=False)
    forklift = models.BooleanField(default=False)
    fire_suppression = models.BooleanField(default=False)
    opening_hours = models.CharField(max_length=200, blank=True, help_text="For example: Mon–Fri 08:00–18:00")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["country", "city"]),
            models.Index(fields=["latitude", "longitude"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"

    @property
    def feature_labels(self) -> list[str]:
        """The customs status and every feature the warehouse has, as shown on cards and pages."""
        return [self.get_customs_status_display()] + [str(label) for name, label in FEATURES if getattr(self, name)]


class WarehousePhoto(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="warehouses/%Y/%m/", validators=[photo_extension, photo_size, photo_content])
    caption = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)


class Listing(models.Model):
    """One kind of space a warehouse offers, priced per unit per day.

    ``calendar_until`` is the last day that has a calendar row; rows run without gaps from
    ``available_from``, so "is every day covered" is a date comparison, not a count.
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=6, choices=Unit.choices, default=Unit.PALLET)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_per_unit_day = money_field(validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="EUR")
    handling_in_fee = money_field(
        default=0, validators=[MinValueValidator(0)], help_text="Per unit, charged once on arrival."
    )
    handling_out_fee = money_field(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Per unit, charged once on departure.",
    )
    min_days = models.PositiveIntegerField(default=7, validators=[MinValueValidator(1)])
    max_days = models.PositiveIntegerField(default=365, validators=[MinValueValidator(1)])
    available_from = models.DateField()
    available_until = models.DateField(null=True, blank=True, help_text="Leave empty for open-ended.")
    calendar_until = models.DateField(null=True, blank=True, editable=False)
    instant_book = models.BooleanField(default=False)
    transfers_need_consent = models.BooleanField(
        default=True, help_text="Off: exporters may hand a lease on to another exporter without asking you."
    )
    cancellation_policy = models.CharField(
        max_length=10, choices=CancellationPolicy.choices, default=CancellationPolicy.MODERATE
    )
    monthly_billing = models.BooleanField(
        default=True, help_text="Exporters may pay a lease longer than 30 days month by month."
    )
    status = models.CharField(max_length=10, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "unit", "price_per_unit_day"]),
            models.Index(fields=["status", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(max_days__gte=F("min_days")), name="listing_max_ge_min_days"),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True) | Q(available_until__gte=F("available_from")),
                name="listing_window_ordered",
            ),
            models.CheckConstraint(condition=Q(price_per_unit_day__gte=0), name="listing_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_bookable(self) -> bool:
        return self.status == ListingStatus.ACTIVE


class CalendarDay(models.Model):
    """Capacity and reservations of one listing on one day. The CHECK makes overbooking impossible."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    capacity = models.PositiveIntegerField()
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["listing", "day"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "day"], name="one_calendar_row_per_day"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("capacity")),
                name="calendar_reserved_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.day}: {self.reserved}/{self.capacity}"

    @property
    def free(self) -> int:
        return self.capacity - self.reserved


class Reservation(models.Model):
    """A hold of ``quantity`` units for ``start``..``end`` (both inclusive) on a listing's calendar.

    The calendar's ``reserved`` column is always the sum of the live (unreleased) reservations
    covering each day; ``capacity_reserve`` and ``capacity_release`` keep the two in step.
    """

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="reservations")
    start = models.DateField()
    end = models.DateField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["listing", "released_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="reservation_range_ordered"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.listing_id} {self.start}..{self.end}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class CapacityException(models.Model):
    """An owner's change to capacity on a date range: a blackout (0) or a reduced capacity."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateField()
    end = models.DateField()
    capacity = models.PositiveIntegerField(help_text="0 closes the listing on these days.")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="exception_range_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.start}..{self.end} → {self.capacity}"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end
