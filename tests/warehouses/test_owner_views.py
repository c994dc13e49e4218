import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from tests.accounts.factories import ExporterOrganisationFactory, OwnerOrganisationFactory, member_of
from tests.helpers import login, url
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses import services
from warehouses.choices import ListingStatus
from warehouses.models import CalendarDay, CapacityException, Listing, Warehouse, WarehousePhoto
from warehouses.validators import MAX_PHOTO_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OwnerOrganisationFactory()


@pytest.fixture
def owner(client, organisation):
    return login(client, member_of(organisation))


@pytest.fixture
def warehouse(organisation):
    return WarehouseFactory(organisation=organisation)


@pytest.fixture
def listing(warehouse):
    return ListingFactory(warehouse=warehouse, capacity=10)


def png(size=(40, 30), *, name="dock.png", noise=False):
    image = Image.frombytes("RGB", size, _noise(size)) if noise else Image.new("RGB", size, (11, 95, 138))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _noise(size):
    import random

    return random.Random(7).randbytes(size[0] * size[1] * 3)


def errors(response):
    return response.content.decode()


WAREHOUSE_DATA = {
    "name": "Waalhaven Hall 3",
    "address": "Waalhaven Oostzijde 12",
    "city": "Rotterdam",
    "country": "NL",
    "latitude": "51.8891",
    "longitude": "4.4412",
    "nearest_port": "NLRTM",
    "timezone": "Europe/Amsterdam",
    "customs_status": "bonded",
    "racking": "on",
    "forklift": "on",
    "opening_hours": "Mon–Fri 07:00–19:00",
    "description": "",
}


def listing_data(**changes):
    data = {
        "title": "Racked pallet positions",
        "description": "Dry, racked, next to dock 4.",
        "unit": "pallet",
        "capacity": "20",
        "price_per_unit_day": "1.20",
        "currency": "EUR",
        "handling_in_fee": "3.50",
        "handling_out_fee": "3.50",
        "min_days": "7",
        "max_days": "180",
        "available_from": days_from_now(0).isoformat(),
        "available_until": "",
        "cancellation_policy": "moderate",
    }
    data.update(changes)
    return data


# --- Warehouses ---------------------------------------------------------------------------


def test_owner_adds_a_warehouse(owner, organisation):
    response = owner.post(url("warehouses:owner:warehouse_create"), WAREHOUSE_DATA)

    warehouse = Warehouse.objects.get()
    assert response["Location"] == url("warehouses:owner:warehouse_detail", warehouse.pk)
    assert warehouse.organisation == organisation
    assert warehouse.nearest_port_id == "NLRTM"
    assert warehouse.timezone == "Europe/Amsterdam"
    assert (warehouse.racking, warehouse.forklift, warehouse.hazmat) == (True, True, False)
    assert "is added" in errors(owner.get(response["Location"]))


def test_warehouse_form_refuses_an_unknown_timezone_and_allows_no_port(owner):
    response = owner.post(
        url("warehouses:owner:warehouse_create"), {**WAREHOUSE_DATA, "timezone": "Mars/Olympus", "nearest_port": ""}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in errors(response)
    assert not Warehouse.objects.exists()

    owner.post(url("warehouses:owner:warehouse_create"), {**WAREHOUSE_DATA, "nearest_port": ""})
    assert Warehouse.objects.get().nearest_port is None


def test_owner_edits_a_warehouse(owner, warehouse):
    response = owner.post(url("warehouses:owner:warehouse_edit", warehouse.pk), {**WAREHOUSE_DATA, "name": "Hall 4"})

    assert response.status_code == 302
    warehouse.refresh_from_db()
    assert warehouse.name == "Hall 4"
    assert warehouse.customs_status == "bonded"


def test_warehouse_detail_shows_its_listings_and_photos(owner, warehouse, listing):
    WarehousePhoto.objects.create(warehouse=warehouse, image="warehouses/dock.png", caption="Dock 4")

    response = owner.get(url("warehouses:owner:warehouse_detail", warehouse.pk))

    body = errors(response)
    assert listing.title in body
    assert "Dock 4" in body
    assert 'enctype="multipart/form-data"' in body


def test_empty_lists_invite_the_next_step(owner):
    assert "Add a warehouse" in errors(owner.get(url("warehouses:owner:warehouse_list")))
    body = errors(owner.get(url("warehouses:owner:listing_list")))
    assert "No listings yet" in body
    assert url("warehouses:owner:warehouse_create") in body


# --- Photos -------------------------------------------------------------------------------


def test_owner_uploads_a_png(owner, warehouse):
    response = owner.post(
        url("warehouses:owner:photo_upload", warehouse.pk), {"image": png(), "caption": "Loading dock"}
    )

    assert response["Location"] == url("warehouses:owner:warehouse_detail", warehouse.pk)
    photo = warehouse.photos.get()
    assert photo.caption == "Loading dock"
    assert photo.image.name.endswith(".png")


def test_a_text_file_named_png_is_a_form_error(owner, warehouse):
    fake = SimpleUploadedFile("dock.png", b"not an image at all", content_type="image/png")

    response = owner.post(url("warehouses:owner:photo_upload", warehouse.pk), {"image": fake})

    assert response.status_code == 200
    assert "Upload a valid image" in errors(response)
    assert not WarehousePhoto.objects.exists()


def test_a_photo_over_5_mb_is_a_form_error(owner, warehouse):
    big = png((1400, 1300), noise=True)
    assert big.size > MAX_PHOTO_BYTES

    response = owner.post(url("warehouses:owner:photo_upload", warehouse.pk), {"image": big})

    assert response.status_code == 200
    assert "the limit is 5 MB" in errors(response)
    assert not WarehousePhoto.objects.exists()


def test_a_photo_with_another_extension_is_a_form_error(owner, warehouse):
    response = owner.post(url("warehouses:owner:photo_upload", warehouse.pk), {"image": png(name="dock.gif")})

    assert response.status_code == 200
    assert not WarehousePhoto.objects.exists()


def test_owner_removes_a_photo_and_its_file(owner, warehouse, django_capture_on_commit_callbacks):
    owner.post(url("warehouses:owner:photo_upload", warehouse.pk), {"image": png()})
    photo = warehouse.photos.get()
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(url("warehouses:owner:photo_delete", warehouse.pk, photo.pk))

    assert response.status_code == 302
    assert not WarehousePhoto.objects.exists()
    assert not storage.exists(name)


def test_photo_pages_need_post(owner, warehouse):
    assert owner.get(url("warehouses:owner:photo_upload", warehouse.pk)).status_code == 405


# --- Listings -----------------------------------------------------------------------------


def test_owner_creates_a_draft_listing_with_its_calendar(owner, warehouse):
    response = owner.post(url("warehouses:owner:listing_create", warehouse.pk), listing_data())

    listing = Listing.objects.get()
    assert response["Location"] == url("warehouses:owner:listing_calendar", listing.pk)
    assert listing.warehouse == warehouse
    assert listing.status == ListingStatus.DRAFT
    days = CalendarDay.objects.filter(listing=listing)
    assert days.count() == (listing.calendar_until - listing.available_from).days + 1
    assert set(days.values_list("capacity", flat=True)) == {20}


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"min_days": "30", "max_days": "10"}, "The maximum lease must be at least the minimum lease."),
        (
            {"available_from": "2030-05-10", "available_until": "2030-05-01"},
            "The last available day must be on or after the first.",
        ),
    ],
)
def test_listing_form_checks_ranges(owner, warehouse, changes, field_error):
    response = owner.post(url("warehouses:owner:listing_create", warehouse.pk), listing_data(**changes))

    assert response.status_code == 200
    assert field_error in errors(response)
    assert not Listing.objects.exists()


def test_editing_capacity_below_reserved_is_a_form_error_and_changes_nothing(owner, listing):
    services.capacity_reserve(listing=listing, start=days_from_now(3), end=days_from_now(5), quantity=8)

    response = owner.post(url("warehouses:owner:listing_edit", listing.pk), listing_data(title="Renamed", capacity="5"))

    assert response.status_code == 200
    body = errors(response)
    assert "Capacity cannot go below what is already reserved on" in body
    assert days_from_now(3).isoformat() in body
    listing.refresh_from_db()
    assert (listing.capacity, listing.title) == (10, listing.title)
    assert listing.title != "Renamed"
    assert set(CalendarDay.objects.filter(listing=listing).values_list("capacity", flat=True)) == {10}


def test_editing_capacity_applies_it_to_the_calendar(owner, listing):
    response = owner.post(url("warehouses:owner:listing_edit", listing.pk), listing_data(capacity="25"))

    assert response["Location"] == url("warehouses:owner:listing_calendar", listing.pk)
    listing.refresh_from_db()
    assert listing.capacity == 25
    assert set(CalendarDay.objects.filter(listing=listing).values_list("capacity", flat=True)) == {25}


def test_listing_status_moves_through_its_lifecycle(owner, warehouse):
    listing = ListingFactory(warehouse=warehouse, status=ListingStatus.DRAFT)

    for action, status in [
        ("publish", ListingStatus.ACTIVE),
        ("pause", ListingStatus.PAUSED),
        ("resume", ListingStatus.ACTIVE),
        ("archive", ListingStatus.ARCHIVED),
    ]:
        response = owner.post(url("warehouses:owner:listing_status", listing.pk), {"action": action})
        assert response["Location"] == url("warehouses:owner:listing_list")
        listing.refresh_from_db()
        assert listing.status == status


def test_a_refused_status_change_is_explained_and_changes_nothing(owner, warehouse):
    listing = ListingFactory(warehouse=warehouse, status=ListingStatus.ARCHIVED)

    response = owner.post(url("warehouses:owner:listing_status", listing.pk), {"action": "publish"}, follow=True)

    listing.refresh_from_db()
    assert listing.status == ListingStatus.ARCHIVED
    assert "This listing is archived; it cannot become active." in errors(response)


def test_pausing_a_draft_is_refused(owner, warehouse):
    listing = ListingFactory(warehouse=warehouse, status=ListingStatus.DRAFT)

    owner.post(url("warehouses:owner:listing_status", listing.pk), {"action": "pause"})

    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_status_change_returns_to_a_local_next_page_only(owner, listing):
    calendar = url("warehouses:owner:listing_calendar", listing.pk)
    response = owner.post(url("warehouses:owner:listing_status", listing.pk), {"action": "pause", "next": calendar})
    assert response["Location"] == calendar

    response = owner.post(
        url("warehouses:owner:listing_status", listing.pk), {"action": "resume", "next": "https://evil.test/"}
    )
    assert response["Location"] == url("warehouses:owner:listing_list")


def test_an_unknown_status_action_is_a_bad_request(owner, listing):
    assert owner.post(url("warehouses:owner:listing_status", listing.pk), {"action": "delete"}).status_code == 400


# --- Occupancy calendar and capacity exceptions -------------------------------------------


def test_calendar_shows_reserved_and_capacity_per_day(owner, listing):
    services.capacity_reserve(listing=listing, start=days_from_now(0), end=days_from_now(0), quantity=4)
    today = days_from_now(0)

    response = owner.get(url("warehouses:owner:listing_calendar", listing.pk), {"month": f"{today:%Y-%m}"})

    body = errors(response)
    assert response.status_code == 200
    assert f"{today:%A} {today.day} {today:%B}: 4 of 10 reserved, 6 free" in body
    assert 'class="partial today"' in body
    nxt = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert f"?month={nxt:%Y-%m}" in body


def test_calendar_falls_back_to_this_month_on_a_bad_month(owner, listing):
    response = owner.get(url("warehouses:owner:listing_calendar", listing.pk), {"month": "2025-13"})

    assert response.status_code == 200
    assert days_from_now(0).strftime("%B %Y") in errors(response)


def test_owner_closes_days_and_reopens_them(owner, listing):
    start, end = days_from_now(10), days_from_now(12)
    response = owner.post(
        url("warehouses:owner:exception_add", listing.pk),
        {"start": start.isoformat(), "end": end.isoformat(), "capacity": "0", "reason": "Stocktake"},
    )

    assert response["Location"] == f"{url('warehouses:owner:listing_calendar', listing.pk)}?month={start:%Y-%m}"
    closed = CalendarDay.objects.filter(listing=listing, day__range=(start, end))
    assert set(closed.values_list("capacity", flat=True)) == {0}
    exception = CapacityException.objects.get(listing=listing)
    assert "Stocktake" in errors(owner.get(url("warehouses:owner:listing_calendar", listing.pk)))

    response = owner.post(url("warehouses:owner:exception_remove", listing.pk, exception.pk))

    assert response["Location"] == url("warehouses:owner:listing_calendar", listing.pk)
    assert not CapacityException.objects.exists()
    assert set(closed.values_list("capacity", flat=True)) == {10}


def test_closing_reserved_days_is_refused_with_the_days_named(owner, listing):
    reserved_day = days_from_now(11)
    services.capacity_reserve(listing=listing, start=reserved_day, end=reserved_day, quantity=3)

    response = owner.post(
        url("warehouses:owner:exception_add", listing.pk),
        {"start": days_from_now(10).isoformat(), "end": days_from_now(12).isoformat(), "capacity": "2"},
    )

    assert response.status_code == 200
    body = errors(response)
    assert f"Capacity cannot go below what is already reserved on {reserved_day.isoformat()}." in body
    assert not CapacityException.objects.exists()
    assert CalendarDay.objects.get(listing=listing, day=days_from_now(10)).capacity == 10


def test_an_exception_must_end_on_or_after_its_start(owner, listing):
    response = owner.post(
        url("warehouses:owner:exception_add", listing.pk),
        {"start": days_from_now(5).isoformat(), "end": days_from_now(4).isoformat(), "capacity": "0"},
    )

    assert response.status_code == 200
    assert "The last day must be on or after the first." in errors(response)
    assert not CapacityException.objects.exists()


# --- Who may see what ---------------------------------------------------------------------

OTHER_ORG_URLS = [
    ("get", "warehouse_detail", "warehouse"),
    ("get", "warehouse_edit", "warehouse"),
    ("post", "warehouse_edit", "warehouse"),
    ("post", "photo_upload", "warehouse"),
    ("post", "photo_delete", "photo"),
    ("get", "listing_create", "warehouse"),
    ("post", "listing_create", "warehouse"),
    ("get", "listing_edit", "listing"),
    ("post", "listing_edit", "listing"),
    ("post", "listing_status", "listing"),
    ("get", "listing_calendar", "listing"),
    ("post", "exception_add", "listing"),
    ("post", "exception_remove", "exception"),
]


@pytest.mark.parametrize(("method", "name", "target"), OTHER_ORG_URLS)
def test_another_organisations_objects_are_not_found(owner, method, name, target):
    theirs = ListingFactory()
    warehouse = theirs.warehouse
    photo = WarehousePhoto.objects.create(warehouse=warehouse, image="warehouses/x.png")
    exception = CapacityException.objects.create(
        listing=theirs, start=days_from_now(1), end=days_from_now(1), capacity=0
    )
    args = {
        "warehouse": (warehouse.pk,),
        "listing": (theirs.pk,),
        "photo": (warehouse.pk, photo.pk),
        "exception": (theirs.pk, exception.pk),
    }[target]
    data = {
        **listing_data(),
        **WAREHOUSE_DATA,
        "action": "archive",
        "start": days_from_now(2),
        "end": days_from_now(2),
    }

    response = getattr(owner, method)(url(f"warehouses:owner:{name}", *args), data)

    assert response.status_code == 404
    theirs.refresh_from_db()
    warehouse.refresh_from_db()
    assert theirs.status == ListingStatus.ACTIVE
    assert theirs.title != listing_data()["title"]
    assert warehouse.name != WAREHOUSE_DATA["name"]
    assert Listing.objects.count() == 1
    assert WarehousePhoto.objects.count() == 1
    assert CapacityException.objects.count() == 1


@pytest.mark.parametrize("name", ["warehouse_list", "warehouse_create", "listing_list"])
def test_exporters_do_not_have_owner_pages(client, name):
    client.force_login(member_of(ExporterOrganisationFactory()))

    assert client.get(url(f"warehouses:owner:{name}")).status_code == 404


def test_owner_pages_need_a_signed_in_user(client):
    response = client.get(url("warehouses:owner:warehouse_list"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_owner_navigation_links_to_the_owner_pages(owner):
    body = errors(owner.get(reverse("leasing:owner_dashboard")))

    assert url("warehouses:owner:warehouse_list") in body
    assert url("warehouses:owner:listing_list") in body


# --- Query counts -------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def _warehouses_with_everything(organisation, count):
    for _ in range(count):
        warehouse = WarehouseFactory(organisation=organisation)
        WarehousePhoto.objects.create(warehouse=warehouse, image="warehouses/a.png")
        ListingFactory(warehouse=warehouse)


@pytest.mark.parametrize("name", ["warehouse_list", "listing_list"])
def test_lists_run_the_same_queries_for_1_and_10_rows(owner, organisation, name):
    _warehouses_with_everything(organisation, 1)
    one = _queries(owner, url(f"warehouses:owner:{name}"))

    _warehouses_with_everything(organisation, 9)
    ten = _queries(owner, url(f"warehouses:owner:{name}"))

    assert one == ten


def test_lists_are_paginated(owner, organisation):
    warehouse = WarehouseFactory(organisation=organisation)
    for _ in range(26):
        ListingFactory(warehouse=warehouse)

    first = errors(owner.get(url("warehouses:owner:listing_list")))
    second = errors(owner.get(url("warehouses:owner:listing_list"), {"page": 2}))

    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second


def test_a_window_starting_long_ago_is_a_form_error_and_creates_nothing(owner, warehouse):
    from datetime import timedelta

    from django.utils import timezone

    from warehouses.models import Listing

    data = {
        "title": "Old window",
        "unit": "pallet",
        "capacity": 5,
        "price_per_unit_day": "1.00",
        "currency": "EUR",
        "handling_in_fee": "0",
        "handling_out_fee": "0",
        "min_days": 1,
        "max_days": 30,
        "available_from": (timezone.localdate() - timedelta(days=400)).isoformat(),
        "cancellation_policy": "moderate",
    }
    response = owner.post(url("warehouses:owner:listing_create", warehouse.pk), data)

    assert response.status_code == 200
    assert "cannot start before" in response.content.decode()
    assert not Listing.objects.filter(title="Old window").exists()
