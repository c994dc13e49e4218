"""Reads for warehouses, listings and calendars. Querysets only, no writes."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from accounts.models import Organisation

from .choices import ListingStatus
from .models import CalendarDay, Listing, Port, Warehouse, WarehousePhoto
from .pricing import lease_days


def listing_public_queryset() -> QuerySet[Listing]:
    """Active listings with what a result card shows, in a fixed number of queries."""
    return (
        Listing.objects.filter(status=ListingStatus.ACTIVE)
        .select_related("warehouse", "warehouse__organisation", "warehouse__nearest_port")
        .prefetch_related(Prefetch("warehouse__photos", queryset=WarehousePhoto.objects.order_by("created_at")))
    )


def listing_available(queryset: QuerySet[Listing], *, start: date, end: date, quantity: int) -> QuerySet[Listing]:
    """Listings with ``quantity`` units free on every day of ``start..end``, annotated ``free_units``.

    Calendar rows run without gaps from ``available_from`` to ``calendar_until``, so coverage is
    a date comparison; the per-day check is a NOT EXISTS on the (listing, day) key.
    """
    days = lease_days(start, end)
    short_day = CalendarDay.objects.filter(
        listing=OuterRef("pk"), day__range=(start, end), capacity__lt=F("reserved") + quantity
    )
    return (
        queryset.filter(available_from__lte=start, calendar_until__gte=end, min_days__lte=days, max_days__gte=days)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=end))
        .exclude(Exists(short_day))
        .annotate(free_units=free_units_subquery(start=start, end=end))
    )


def free_units_subquery(*, start: date, end: date) -> Subquery:
    free = ExpressionWrapper(F("capacity") - F("reserved"), output_field=IntegerField())
    return Subquery(
        CalendarDay.objects.filter(listing=OuterRef("pk"), day__range=(start, end))
        .values("listing")
        .annotate(free_min=Min(free))
        .values("free_min"),
        output_field=IntegerField(),
    )


def listing_price_for(queryset: QuerySet[Listing], *, days: int) -> QuerySet[Listing]:
    """Annotate ``unit_cost``: what one unit costs for ``days`` days before the platform fee."""
    return queryset.annotate(
        unit_cost=ExpressionWrapper(
            F("price_per_unit_day") * days + F("handling_in_fee") + F("handling_out_fee"),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
    )


def listing_calendar(*, listing: Listing, start: date, days: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(listing=listing, day__range=(start, start + timedelta(days=days - 1))))


@dataclass(frozen=True)
class CalendarMonth:
    first: date
    weeks: list[list[CalendarDay | date | None]]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def listing_month(*, listing: Listing, month: date) -> CalendarMonth:
    """A month of calendar rows laid out Monday-first, for occupancy and availability views.

    Days without a row (outside the window or beyond the horizon) appear as bare dates.
    """
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    rows = {row.day: row for row in CalendarDay.objects.filter(listing=listing, day__range=(first, last))}
    cells: list[CalendarDay | date | None] = [None] * first.weekday()
    day = first
    while day <= last:
        cells.append(rows.get(day, day))
        day += timedelta(days=1)
    cells += [None] * (-len(cells) % 7)
    return CalendarMonth(first=first, weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)])


def warehouse_list(*, organisation: Organisation) -> QuerySet[Warehouse]:
    return organisation.warehouses.select_related("nearest_port").prefetch_related("photos", "listings")


def listing_list(*, organisation: Organisation) -> QuerySet[Listing]:
    today = timezone.localdate()
    return (
        Listing.objects.filter(warehouse__organisation=organisation)
        .select_related("warehouse")
        .annotate(free_today=free_units_subquery(start=today, end=today))
        .order_by("warehouse__name", "title")
    )


def port_get(locode: str) -> Port | None:
    return Port.objects.filter(locode=locode.strip().upper()).first()


def ports_near(*, port: Port, radius_km: float, limit: int = 5) -> list[tuple[Port, float]]:
    """Other ports within ``radius_km`` of ``port``, nearest first (the list is small: ~500 rows)."""
    from .geo import haversine_km

    found = []
    for other in Port.objects.exclude(pk=port.pk).only("locode", "name", "latitude", "longitude"):
        distance = haversine_km(port.latitude, port.longitude, other.latitude, other.longitude)
        if distance <= radius_km:
            found.append((other, distance))
    return sorted(found, key=lambda pair: pair[1])[:limit]
