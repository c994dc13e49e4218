"""Reads for warehouses, listings and calendars. Querysets only, no writes."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Case,
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
    Value,
    When,
)
from django.utils.translation import get_language
from django_countries import countries

from accounts.models import Organisation
from common.caching import cached

from .choices import ListingStatus
from .dates import warehouse_today
from .geo import haversine_km
from .models import CalendarDay, Listing, Port, Warehouse, WarehousePhoto
from .pricing import lease_days


def listing_public_queryset() -> QuerySet[Listing]:
    """Active listings with what a result card shows, in a fixed number of queries."""
    return (
        Listing.objects.filter(status=ListingStatus.ACTIVE)
        .select_related("warehouse", "warehouse__organisation", "warehouse__nearest_port")
        .prefetch_related(Prefetch("warehouse__photos", queryset=WarehousePhoto.objects.order_by("created_at")))
    )


def listing_bookable_for(queryset: QuerySet[Listing], *, start: date, end: date) -> QuerySet[Listing]:
    """Cheap, indexable conditions for ``start..end``: the window, the calendar's reach and the
    lease length. Calendar rows run without gaps from ``available_from`` to ``calendar_until``, so
    coverage is a date comparison; free capacity is checked by ``listing_available_page``."""
    days = lease_days(start, end)
    return queryset.filter(
        Q(available_until__isnull=True) | Q(available_until__gte=end),
        available_from__lte=start,
        calendar_until__gte=end,
        min_days__lte=days,
        max_days__gte=days,
    )


def _short_day(*, start: date, end: date, quantity: int) -> Exists:
    return Exists(
        CalendarDay.objects.filter(
            listing=OuterRef("pk"), day__range=(start, end), capacity__lt=F("reserved") + quantity
        ).order_by()
    )


def listing_available_ids(ids: list[int], *, start: date, end: date, quantity: int) -> set[int]:
    """Which of ``ids`` have ``quantity`` units free on every day of ``start..end`` (one query)."""
    free = Listing.objects.filter(pk__in=ids).exclude(_short_day(start=start, end=end, quantity=quantity))
    return set(free.values_list("pk", flat=True))


def listing_available_page(
    candidates: QuerySet[Listing],
    *,
    start: date | None,
    end: date | None,
    quantity: int,
    offset: int,
    limit: int,
) -> list[Listing]:
    """The ``offset:offset+limit`` slice of ``candidates`` (kept in their order) that have space.

    Walks the ordered candidates in batches and checks availability batch by batch, stopping as
    soon as the page is full: the first page costs a handful of index probes however many
    listings match (bench/RESULTS.md), instead of an anti-join over every candidate.
    Returns fully loaded listings (``listing_public_queryset``), annotated with ``free_units``.
    """
    wanted = offset + limit
    if start is None or end is None:
        page_ids = list(candidates.values_list("pk", flat=True)[offset:wanted])
    else:
        batch = max(2 * wanted, 50)
        found: list[int] = []
        position = 0
        while len(found) < wanted:
            ids = list(candidates.values_list("pk", flat=True)[position : position + batch])
            available = listing_available_ids(ids, start=start, end=end, quantity=quantity) if ids else set()
            found.extend(pk for pk in ids if pk in available)
            position += batch
            if len(ids) < batch:
                break
        page_ids = found[offset:wanted]
    if not page_ids:
        return []
    rows = listing_public_queryset().filter(pk__in=page_ids)
    if start and end:
        rows = rows.annotate(free_units=free_units_subquery(start=start, end=end))
    by_pk = {listing.pk: listing for listing in rows}
    return [by_pk[pk] for pk in page_ids]


def free_units_subquery(*, start: date, end: date) -> Subquery:
    free = ExpressionWrapper(F("capacity") - F("reserved"), output_field=IntegerField())
    return Subquery(
        CalendarDay.objects.filter(listing=OuterRef("pk"), day__range=(start, end))
        .order_by()
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
    """The owner's listings with ``free_today``: the units free on each warehouse's own today."""
    free_today = Case(
        *(
            When(warehouse_id=warehouse.pk, then=free_units_subquery(start=today, end=today))
            for warehouse in Warehouse.objects.filter(organisation=organisation).only("pk", "timezone")
            for today in [warehouse_today(warehouse)]
        ),
        default=Value(None),
        output_field=IntegerField(),
    )
    return (
        Listing.objects.filter(warehouse__organisation=organisation)
        .select_related("warehouse")
        .annotate(free_today=free_today)
        .order_by("warehouse__name", "title")
    )


def port_get(locode: str) -> Port | None:
    return Port.objects.filter(locode=locode.strip().upper()).first()


def ports_near(*, port: Port, radius_km: float, limit: int = 5) -> list[tuple[Port, float]]:
    """Other ports within ``radius_km`` of ``port``, nearest first (the list is small: ~500 rows)."""
    found = []
    for other in Port.objects.exclude(pk=port.pk).only("locode", "name", "latitude", "longitude"):
        distance = haversine_km(port.latitude, port.longitude, other.latitude, other.longitude)
        if distance <= radius_km:
            found.append((other, distance))
    return sorted(found, key=lambda pair: pair[1])[:limit]


def countries_with_listings() -> list[tuple[str, str]]:
    """Countries that have active listings, by name in the current language: the search's country
    choices (cached per language; loaded afresh when the cache is down)."""

    def load() -> list[tuple[str, str]]:
        codes = (
            Warehouse.objects.filter(listings__status=ListingStatus.ACTIVE)
            .order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        return sorted(((code, countries.name(code)) for code in codes), key=lambda pair: pair[1])

    return cached(f"search:countries:{get_language() or settings.LANGUAGE_CODE}", load, timeout=300)
