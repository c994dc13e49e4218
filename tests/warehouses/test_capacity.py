"""The capacity calendar: reservations, releases and owner exceptions never overbook."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.warehouses.factories import ListingFactory, days_from_now
from warehouses.exceptions import CapacityBelowReserved, CapacityUnavailable, InvalidDates
from warehouses.models import CalendarDay, CapacityException, Reservation
from warehouses.services import (
    calendar_extend,
    capacity_exception_add,
    capacity_exception_remove,
    capacity_release,
    capacity_reserve,
    listing_update,
)

pytestmark = pytest.mark.django_db


def reserved_by_day(listing):
    return dict(CalendarDay.objects.filter(listing=listing).values_list("day", "reserved"))


def assert_calendar_matches_reservations(listing):
    """``reserved`` on every day is the sum of the live reservations covering it, within capacity."""
    expected = Counter()
    for r in Reservation.objects.filter(listing=listing, released_at=None):
        for offset in range(r.days):
            expected[r.start + timedelta(days=offset)] += r.quantity
    for row in CalendarDay.objects.filter(listing=listing):
        assert 0 <= row.reserved <= row.capacity, row
        assert row.reserved == expected[row.day], row.day


class TestReserve:
    def test_reserves_every_day_of_the_range_inclusive(self):
        listing = ListingFactory(capacity=10)
        start, end = days_from_now(2), days_from_now(4)

        reservation = capacity_reserve(listing=listing, start=start, end=end, quantity=3)

        assert reservation.days == 3
        by_day = reserved_by_day(listing)
        assert [by_day[start + timedelta(days=i)] for i in range(-1, 4)] == [0, 3, 3, 3, 0]

    def test_refuses_when_any_day_is_short_and_changes_nothing(self):
        listing = ListingFactory(capacity=10)
        capacity_reserve(listing=listing, start=days_from_now(5), end=days_from_now(5), quantity=8)
        before = reserved_by_day(listing)

        with pytest.raises(CapacityUnavailable) as error:
            capacity_reserve(listing=listing, start=days_from_now(3), end=days_from_now(6), quantity=3)

        assert error.value.days == [days_from_now(5)]
        assert days_from_now(5).isoformat() in error.value.detail
        assert reserved_by_day(listing) == before
        assert Reservation.objects.count() == 1

    def test_refuses_days_beyond_the_calendar(self):
        listing = ListingFactory(available_until=days_from_now(10))

        with pytest.raises(CapacityUnavailable) as error:
            capacity_reserve(listing=listing, start=days_from_now(9), end=days_from_now(12), quantity=1)

        assert error.value.days == [days_from_now(11), days_from_now(12)]
        assert not Reservation.objects.exists()

    @pytest.mark.parametrize(("start", "end", "quantity"), [(5, 4, 1), (1, 2, 0), (1, 2, -3)])
    def test_bad_ranges_are_refused(self, start, end, quantity):
        listing = ListingFactory()

        with pytest.raises(InvalidDates):
            capacity_reserve(listing=listing, start=days_from_now(start), end=days_from_now(end), quantity=quantity)

    def test_the_database_itself_refuses_reserved_above_capacity(self):
        listing = ListingFactory(capacity=2)

        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarDay.objects.filter(listing=listing).update(reserved=F("capacity") + 1)


class TestRelease:
    def test_release_returns_the_units_and_is_idempotent(self):
        listing = ListingFactory(capacity=5)
        reservation = capacity_reserve(listing=listing, start=days_from_now(1), end=days_from_now(3), quantity=5)

        assert capacity_release(reservation=reservation) is True
        assert capacity_release(reservation=reservation) is False

        assert set(reserved_by_day(listing).values()) == {0}


class TestExceptions:
    def test_blackout_closes_days_and_removing_it_restores_them(self):
        listing = ListingFactory(capacity=10)

        exception = capacity_exception_add(listing=listing, start=days_from_now(3), end=days_from_now(4), capacity=0)

        capacities = dict(CalendarDay.objects.filter(listing=listing).values_list("day", "capacity"))
        assert capacities[days_from_now(3)] == 0
        assert capacities[days_from_now(5)] == 10
        with pytest.raises(CapacityUnavailable):
            capacity_reserve(listing=listing, start=days_from_now(4), end=days_from_now(4), quantity=1)

        capacity_exception_remove(exception=exception)
        capacities = dict(CalendarDay.objects.filter(listing=listing).values_list("day", "capacity"))
        assert capacities[days_from_now(3)] == 10

    def test_an_exception_cannot_cut_below_reserved_and_names_the_days(self):
        listing = ListingFactory(capacity=10)
        capacity_reserve(listing=listing, start=days_from_now(4), end=days_from_now(5), quantity=6)

        with pytest.raises(CapacityBelowReserved) as error:
            capacity_exception_add(listing=listing, start=days_from_now(1), end=days_from_now(8), capacity=5)

        assert error.value.days == [days_from_now(4), days_from_now(5)]
        assert not CapacityException.objects.exists()
        assert CalendarDay.objects.get(listing=listing, day=days_from_now(1)).capacity == 10

    def test_overlapping_exceptions_take_the_lowest(self):
        listing = ListingFactory(capacity=10)
        capacity_exception_add(listing=listing, start=days_from_now(1), end=days_from_now(5), capacity=6)
        blackout = capacity_exception_add(listing=listing, start=days_from_now(3), end=days_from_now(3), capacity=0)

        capacity_exception_remove(exception=blackout)

        assert CalendarDay.objects.get(listing=listing, day=days_from_now(3)).capacity == 6

    def test_lowering_listing_capacity_below_reserved_is_refused(self):
        listing = ListingFactory(capacity=10)
        capacity_reserve(listing=listing, start=days_from_now(2), end=days_from_now(2), quantity=7)

        with pytest.raises(CapacityBelowReserved):
            listing_update(listing=listing, capacity=6)

        listing.refresh_from_db()
        assert listing.capacity == 10


class TestCalendarExtend:
    def test_extend_is_idempotent_and_reaches_the_horizon(self, settings):
        settings.WARESHARE = {**settings.WARESHARE, "CALENDAR_DAYS": 30}
        listing = ListingFactory()
        count = CalendarDay.objects.filter(listing=listing).count()

        assert calendar_extend(listing=listing) == 0
        assert CalendarDay.objects.filter(listing=listing).count() == count == 31
        listing.refresh_from_db()
        assert listing.calendar_until == days_from_now(30)

        settings.WARESHARE = {**settings.WARESHARE, "CALENDAR_DAYS": 40}
        assert calendar_extend(listing=listing) == 10
        assert CalendarDay.objects.filter(listing=listing).count() == 41


# --- Property test: any sequence of operations keeps the calendar consistent -----------------

operation = st.one_of(
    st.tuples(st.just("reserve"), st.integers(0, 12), st.integers(0, 6), st.integers(1, 6)),
    st.tuples(st.just("release"), st.integers(0, 50)),
    st.tuples(st.just("exception"), st.integers(0, 12), st.integers(0, 4), st.integers(0, 8)),
    st.tuples(st.just("unexception"), st.integers(0, 50)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, max_size=25))
def test_any_sequence_of_operations_keeps_reserved_within_capacity(operations):
    with transaction.atomic():
        listing = ListingFactory(capacity=8, available_until=days_from_now(20))
        for op in operations:
            try:
                if op[0] == "reserve":
                    _, start, length, quantity = op
                    capacity_reserve(
                        listing=listing,
                        start=days_from_now(start),
                        end=days_from_now(start + length),
                        quantity=quantity,
                    )
                elif op[0] == "release":
                    live = list(Reservation.objects.filter(listing=listing, released_at=None))
                    if live:
                        capacity_release(reservation=live[op[1] % len(live)])
                elif op[0] == "exception":
                    _, start, length, capacity = op
                    capacity_exception_add(
                        listing=listing,
                        start=days_from_now(start),
                        end=days_from_now(start + length),
                        capacity=capacity,
                    )
                else:
                    exceptions = list(CapacityException.objects.filter(listing=listing))
                    if exceptions:
                        capacity_exception_remove(exception=exceptions[op[1] % len(exceptions)])
            except (CapacityUnavailable, CapacityBelowReserved):
                pass
            assert_calendar_matches_reservations(listing)
        transaction.set_rollback(True)


# --- Concurrency: real threads, real connections, real row locks -----------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_64_threads_reserving_overlapping_ranges_never_overbook():
    listing = ListingFactory(capacity=20)
    outcomes = []
    lock = threading.Lock()
    barrier = threading.Barrier(64)

    def worker(n):
        start = days_from_now(1 + n % 5)
        barrier.wait()
        try:
            capacity_reserve(listing=listing, start=start, end=start + timedelta(days=3), quantity=1 + n % 3)
            result = "ok"
        except Exception as error:
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    refusals = [o for o in outcomes if o != "ok"]
    assert len(outcomes) == 64
    assert all(isinstance(o, CapacityUnavailable) for o in refusals), refusals
    assert refusals, "the test should push the listing past its capacity"
    assert outcomes.count("ok") == Reservation.objects.filter(listing=listing).count()
    assert_calendar_matches_reservations(listing)
    assert max(reserved_by_day(listing).values()) == 20
