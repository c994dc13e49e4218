"""Listing errors carry their code and locale-formatted text; business dates are the warehouse's."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.warehouses.factories import ListingFactory, WarehouseFactory
from warehouses.exceptions import InvalidDates, NotAnOwner
from warehouses.services import listing_check_booking, listing_create

pytestmark = pytest.mark.django_db

# 18:00 UTC on 10 June: 20:00 in Rotterdam, 08:00 on the 10th in Honolulu, 02:00 on the 11th in Shanghai.
EVENING = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
ROTTERDAM_TODAY = date(2026, 6, 10)


@pytest.fixture
def rotterdam_listing(clock):
    clock.set(EVENING)
    return ListingFactory(
        warehouse__timezone="Europe/Amsterdam",
        available_from=ROTTERDAM_TODAY - timedelta(days=5),
        min_days=1,
        max_days=60,
        capacity=10,
    )


@pytest.mark.parametrize("viewer_zone", ["Pacific/Honolulu", "UTC", "Asia/Shanghai"])
def test_past_start_is_decided_at_the_warehouse_whatever_the_viewer_zone(rotterdam_listing, viewer_zone):
    with timezone.override(viewer_zone):
        # Today in Rotterdam is bookable, even where the viewer's clock already says tomorrow.
        listing_check_booking(
            listing=rotterdam_listing, start=ROTTERDAM_TODAY, end=ROTTERDAM_TODAY + timedelta(days=2), quantity=1
        )
        # Yesterday in Rotterdam is in the past, even where the viewer's clock still says yesterday.
        with pytest.raises(InvalidDates) as error:
            listing_check_booking(
                listing=rotterdam_listing,
                start=ROTTERDAM_TODAY - timedelta(days=1),
                end=ROTTERDAM_TODAY + timedelta(days=2),
                quantity=1,
            )
    assert error.value.code == "invalid_dates"


def test_window_error_formats_dates_the_django_way(rotterdam_listing):
    rotterdam_listing.available_until = ROTTERDAM_TODAY + timedelta(days=20)
    start = ROTTERDAM_TODAY + timedelta(days=15)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(InvalidDates) as error:
                listing_check_booking(
                    listing=rotterdam_listing, start=start, end=start + timedelta(days=10), quantity=1
                )
            assert error.value.code == "invalid_dates"
            assert date_format(rotterdam_listing.available_from, "DATE_FORMAT") in error.value.detail
            assert date_format(rotterdam_listing.available_until, "DATE_FORMAT") in error.value.detail
    assert "2026年6月5日" in error.value.detail  # zh-hans: Django's format, not strftime's


def test_window_backdate_error_is_counted_from_today_at_the_warehouse(clock):
    clock.set(EVENING)
    warehouse = WarehouseFactory(timezone="Asia/Shanghai")  # already 11 June there
    with timezone.override("Pacific/Honolulu"), pytest.raises(InvalidDates) as error:
        listing_create(
            warehouse=warehouse,
            title="Bay 4",
            unit="pallet",
            capacity=5,
            price_per_unit_day="1.00",
            currency="EUR",
            available_from=date(2026, 5, 10),
        )
    assert error.value.code == "invalid_dates"
    assert date_format(date(2026, 5, 11), "DATE_FORMAT") in error.value.detail


@pytest.mark.parametrize(
    ("start", "end", "quantity"),
    [
        (ROTTERDAM_TODAY + timedelta(days=3), ROTTERDAM_TODAY + timedelta(days=1), 1),  # end before start
        (ROTTERDAM_TODAY, ROTTERDAM_TODAY + timedelta(days=1), 0),  # no units
        (ROTTERDAM_TODAY, ROTTERDAM_TODAY + timedelta(days=90), 1),  # too long
        (ROTTERDAM_TODAY, ROTTERDAM_TODAY + timedelta(days=1), 11),  # more than the listing has
    ],
)
def test_booking_errors_keep_their_code_in_every_language(rotterdam_listing, start, end, quantity):
    for language in ("en", "zh-hans"):
        with translation.override(language), pytest.raises(InvalidDates) as error:
            listing_check_booking(listing=rotterdam_listing, start=start, end=end, quantity=quantity)
        assert error.value.code == "invalid_dates"
        assert error.value.as_json()["detail"]


def test_not_an_owner_keeps_its_code(clock):
    warehouse = WarehouseFactory(organisation__is_owner=False, organisation__is_exporter=True)
    with pytest.raises(NotAnOwner) as error:
        listing_create(warehouse=warehouse, capacity=5, available_from=timezone.now().date())
    assert (error.value.code, error.value.status) == ("not_an_owner", 403)
    assert str(warehouse.organisation) in error.value.detail
