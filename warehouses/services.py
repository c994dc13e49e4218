"""Every write to warehouses, listings and the capacity calendar.

Locking: a service that touches a listing's calendar locks the listing row first
(``select_for_update``). Concurrent reservations on one listing then queue instead of
deadlocking on day rows locked in different orders (see DESIGN §8).
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Subquery
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Organisation
from common.transactions import atomic_join

from .choices import ListingStatus
from .dates import warehouse_today
from .exceptions import (
    CapacityBelowReserved,
    CapacityUnavailable,
    InvalidDates,
    InvalidListingTransition,
    NotAnOwner,
)
from .models import CalendarDay, CapacityException, Listing, Reservation, Warehouse, WarehousePhoto

LISTING_TRANSITIONS: dict[str, set[str]] = {
    ListingStatus.DRAFT: {ListingStatus.ACTIVE, ListingStatus.ARCHIVED},
    ListingStatus.ACTIVE: {ListingStatus.PAUSED, ListingStatus.ARCHIVED},
    ListingStatus.PAUSED: {ListingStatus.ACTIVE, ListingStatus.ARCHIVED},
    ListingStatus.ARCHIVED: set(),
}


def _lock_listing(listing: Listing) -> Listing:
    return Listing.objects.select_for_update().get(pk=listing.pk)


def _date_range(start: date, end: date) -> Iterable[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def calendar_horizon(*, warehouse: Warehouse | None = None) -> date:
    """The last day calendars are built to, counted from today at ``warehouse`` (UTC without one)."""
    return warehouse_today(warehouse) + timedelta(days=settings.WARESHARE["CALENDAR_DAYS"])


def _day(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


# --- Warehouses ---------------------------------------------------------------------------


# How far back a listing's bookable window may start: its calendar is built from that day.
MAX_WINDOW_BACKDATE_DAYS = 31


def _require_owner(organisation: Organisation) -> None:
    if not organisation.is_owner:
        raise NotAnOwner(_("%(organisation)s is not set up to own warehouses.") % {"organisation": organisation})


def listing_window_check(warehouse: Warehouse, available_from: date) -> None:
    """A listing's bookable window starts at most ``MAX_WINDOW_BACKDATE_DAYS`` before the
    warehouse's today (its calendar is built from that day). Raises InvalidDates otherwise."""
    earliest = warehouse_today(warehouse) - timedelta(days=MAX_WINDOW_BACKDATE_DAYS)
    if available_from < earliest:
        raise InvalidDates(_("The bookable window cannot start before %(earliest)s.") % {"earliest": _day(earliest)})


def warehouse_create(*, organisation: Organisation, **fields: Any) -> Warehouse:
    _require_owner(organisation)
    return Warehouse.objects.create(organisation=organisation, **fields)


def warehouse_update(*, warehouse: Warehouse, **fields: Any) -> Warehouse:
    for name, value in fields.items():
        setattr(warehouse, name, value)
    warehouse.save()
    return warehouse


def warehouse_photo_add(*, warehouse: Warehouse, image: Any, caption: str = "") -> WarehousePhoto:
    photo = WarehousePhoto(warehouse=warehouse, image=image, caption=caption)
    photo.full_clean()
    photo.save()
    return photo


# --- Listings -----------------------------------------------------------------------------


@transaction.atomic
def listing_create(*, warehouse: Warehouse, **fields: Any) -> Listing:
    """Create a listing and its calendar up to the horizon."""
    _require_owner(warehouse.organisation)
    listing = Listing(warehouse=warehouse, **fields)
    listing_window_check(listing.warehouse, listing.available_from)
    listing.save()
    calendar_extend(listing=listing)
    return listing


@transaction.atomic
def listing_update(*, listing: Listing, **fields: Any) -> Listing:
    """Change a listing. Capacity or window changes are re-applied to the calendar, and refused
    (with the days named) where they would cut below what is already reserved."""
    listing = _lock_listing(listing)
    for name, value in fields.items():
        setattr(listing, name, value)
    if "available_from" in fields:
        listing_window_check(listing.warehouse, listing.available_from)
    listing.save()
    calendar_extend(listing=listing)
    first = CalendarDay.objects.filter(listing=listing).order_by("day").values_list("day", flat=True).first()
    if first and listing.calendar_until:
        _calendar_recompute(listing=listing, start=first, end=listing.calendar_until)
    return listing


@transaction.atomic
def listing_set_status(*, listing: Listing, status: str) -> Listing:
    listing = _lock_listing(listing)
    if status not in LISTING_TRANSITIONS[listing.status]:
        raise InvalidListingTransition(
            _("This listing is %(current)s; it cannot become %(status)s.")
            % {"current": listing.get_status_display().lower(), "status": str(ListingStatus(status).label).lower()}
        )
    listing.status = status
    listing.save(update_fields=["status", "updated_at"])
    return listing


# --- Capacity calendar --------------------------------------------------------------------


def _effective_capacity(listing: Listing, day: date, exceptions: list[CapacityException]) -> int:
    """Listing capacity on ``day``: 0 outside the bookable window, else the lowest of the
    listing's capacity and every exception covering the day (a blackout always wins)."""
    if day < listing.available_from or (listing.available_until and day > listing.available_until):
        return 0
    return min([listing.capacity] + [e.capacity for e in exceptions if e.covers(day)])


def _calendar_recompute(*, listing: Listing, start: date, end: date) -> None:
    """Re-derive capacity for ``start..end``; raises CapacityBelowReserved, changing nothing,
    if any day would end up with less capacity than it has reserved."""
    exceptions = list(listing.exceptions.filter(start__lte=end, end__gte=start))
    rows = list(CalendarDay.objects.filter(listing=listing, day__range=(start, end)))
    short = []
    changed = []
    for row in rows:
        capacity = _effective_capacity(listing, row.day, exceptions)
        if capacity < row.reserved:
            short.append(row.day)
        elif capacity != row.capacity:
            row.capacity = capacity
            changed.append(row)
    if short:
        raise CapacityBelowReserved(days=short)
    CalendarDay.objects.bulk_update(changed, ["capacity"], batch_size=500)


@transaction.atomic
def calendar_extend(*, listing: Listing) -> int:
    """Create missing calendar rows from the window's start up to the horizon. Idempotent."""
    until = calendar_horizon(warehouse=listing.warehouse)
    if listing.available_until:
        until = min(until, listing.available_until)
    start = listing.available_from
    if listing.calendar_until and listing.calendar_until >= start:
        start = min(start, listing.calendar_until + timedelta(days=1))
        existing = set(
            CalendarDay.objects.filter(listing=listing, day__range=(listing.available_from, until)).values_list(
                "day", flat=True
            )
        )
    else:
        existing = set()
    if until < start:
        return 0
    exceptions = list(listing.exceptions.filter(end__gte=start))
    rows = [
        CalendarDay(listing=listing, day=day, capacity=_effective_capacity(listing, day, exceptions))
        for day in _date_range(listing.available_from, until)
        if day not in existing
    ]
    CalendarDay.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if listing.calendar_until is None or listing.calendar_until < until:
        Listing.objects.filter(pk=listing.pk).update(calendar_until=until)
        listing.calendar_until = until
    return len(rows)


def calendar_extend_all() -> int:
    """Sweep: roll every live listing's calendar forward to the horizon. Idempotent."""
    # Today at any warehouse is at most one day after today in UTC; each listing's own horizon
    # (at its warehouse) is decided in calendar_extend.
    horizon = calendar_horizon() + timedelta(days=1)
    extended = 0
    live = Listing.objects.exclude(status=ListingStatus.ARCHIVED).filter(calendar_until__lt=horizon)
    live = live.select_related("warehouse")
    for listing in live.iterator():
        if calendar_extend(listing=listing):
            extended += 1
    return extended


def listing_check_booking(*, listing: Listing, start: date, end: date, quantity: int) -> None:
    """The listing's own rules for a lease request; raises InvalidDates with what to change.

    Free capacity is not checked here: ``capacity_reserve`` decides that, under lock.
    """
    _check_range(start, end, quantity)
    days = (end - start).days + 1
    if start < warehouse_today(listing.warehouse):
        raise InvalidDates(_("The start date cannot be in the past."))
    if start < listing.available_from or (listing.available_until and end > listing.available_until):
        if listing.available_until:
            window = _("This space can be booked from %(start)s to %(end)s.") % {
                "start": _day(listing.available_from),
                "end": _day(listing.available_until),
            }
        else:
            window = _("This space can be booked from %(start)s.") % {"start": _day(listing.available_from)}
        raise InvalidDates(window)
    if not listing.min_days <= days <= listing.max_days:
        raise InvalidDates(
            _("Leases here run %(min)s to %(max)s days; you chose %(days)s.")
            % {"min": listing.min_days, "max": listing.max_days, "days": days}
        )
    if quantity > listing.capacity:
        raise InvalidDates(
            _("This listing has %(capacity)s units in all; you asked for %(quantity)s.")
            % {"capacity": listing.capacity, "quantity": quantity}
        )


def _check_range(start: date, end: date, quantity: int) -> None:
    if end < start:
        raise InvalidDates(_("The end date must be on or after the start date."))
    if quantity < 1:
        raise InvalidDates(_("The quantity must be at least 1."))


def capacity_reserve(*, listing: Listing, start: date, end: date, quantity: int) -> Reservation:
    """Hold ``quantity`` units on every day of ``start..end`` (inclusive).

    Locks the listing, then one conditional UPDATE adds to ``reserved`` on every day of the
    range only if every day has a calendar row with enough free (all or nothing, so no savepoint
    is needed); otherwise nothing is written and CapacityUnavailable names the short days.
    Overbooking is impossible by construction (and by the CHECK). Joins the caller's
    transaction (``common.transactions.atomic_join``): a refusal leaves it unchanged and usable.
    """
    _check_range(start, end, quantity)
    days = (end - start).days + 1
    with atomic_join():
        _lock_listing(listing)
        fits = CalendarDay.objects.filter(
            listing=listing, day__range=(start, end), capacity__gte=F("reserved") + quantity
        )
        # Under the listing lock nobody else writes this calendar, so the count is the truth;
        # the row condition is kept all the same (re-checked by PostgreSQL on each row it updates).
        fitting_days = fits.order_by().values("listing_id").annotate(n=Count("pk")).values("n")
        updated = fits.filter(Exact(Subquery(fitting_days), days)).update(reserved=F("reserved") + quantity)
        if updated == days:
            return Reservation.objects.create(listing=listing, start=start, end=end, quantity=quantity)
        if updated:
            raise AssertionError(f"partial calendar update on listing {listing.pk} under its lock")
    free = {row.day: row.free for row in CalendarDay.objects.filter(listing=listing, day__range=(start, end))}
    raise CapacityUnavailable(days=[d for d in _date_range(start, end) if free.get(d, 0) < quantity])


@transaction.atomic
def capacity_release(*, reservation: Reservation) -> bool:
    """Give a reservation's units back to the calendar. Idempotent: False if already released."""
    _lock_listing(reservation.listing)
    released = Reservation.objects.filter(pk=reservation.pk, released_at=None).update(released_at=timezone.now())
    if not released:
        return False
    updated = CalendarDay.objects.filter(
        listing_id=reservation.listing_id, day__range=(reservation.start, reservation.end)
    ).update(reserved=F("reserved") - reservation.quantity)
    if updated != reservation.days:
        raise AssertionError(f"calendar rows missing for reservation {reservation.pk}")
    reservation.released_at = timezone.now()
    return True


Part = tuple[date, date, int]  # start, end (inclusive), quantity


@transaction.atomic
def capacity_reshape(*, reservation: Reservation, parts: list[Part]) -> list[Reservation]:
    """Replace a live reservation by ``parts`` inside its range (a transfer splits a hold between
    two leases; a cancellation keeps only the days already paid for). On each day the parts may
    hold at most what the reservation held; the difference goes back to the calendar. Units held
    by both the old and the new rows are never freed in between: it is one transaction under the
    listing lock, and the calendar changes only where the total changes."""
    _lock_listing(reservation.listing)
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.released_at is not None:
        raise AssertionError(f"reservation {reservation.pk} is already released")
    held = dict.fromkeys(_date_range(reservation.start, reservation.end), 0)
    for start, end, quantity in parts:
        if quantity < 1 or start > end or start < reservation.start or end > reservation.end:
            raise AssertionError(f"part {start}..{end} × {quantity} is outside reservation {reservation.pk}")
        for day in _date_range(start, end):
            held[day] += quantity
    if any(quantity > reservation.quantity for quantity in held.values()):
        raise AssertionError(f"parts hold more than reservation {reservation.pk}")
    freed: dict[int, list[date]] = {}
    for day, quantity in held.items():
        if quantity < reservation.quantity:
            freed.setdefault(reservation.quantity - quantity, []).append(day)
    for quantity, days in freed.items():
        updated = CalendarDay.objects.filter(listing_id=reservation.listing_id, day__in=days).update(
            reserved=F("reserved") - quantity
        )
        if updated != len(days):
            raise AssertionError(f"calendar rows missing for reservation {reservation.pk}")
    Reservation.objects.filter(pk=reservation.pk).update(released_at=timezone.now())
    return [
        Reservation.objects.create(listing_id=reservation.listing_id, start=start, end=end, quantity=quantity)
        for start, end, quantity in parts
    ]


@transaction.atomic
def capacity_exception_add(
    *, listing: Listing, start: date, end: date, capacity: int, reason: str = ""
) -> CapacityException:
    """Close (capacity 0) or reduce capacity on ``start..end``.

    Raises CapacityBelowReserved naming the days where reservations exceed the new capacity;
    nothing changes then.
    """
    _check_range(start, end, 1)
    listing = _lock_listing(listing)
    exception = CapacityException.objects.create(
        listing=listing, start=start, end=end, capacity=capacity, reason=reason
    )
    _calendar_recompute(listing=listing, start=start, end=end)
    return exception


@transaction.atomic
def capacity_exception_remove(*, exception: CapacityException) -> None:
    listing = _lock_listing(exception.listing)
    start, end = exception.start, exception.end
    exception.delete()
    _calendar_recompute(listing=listing, start=start, end=end)
