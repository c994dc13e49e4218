"""Public search and listing page: every filter and sort, bad input, constant queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import OwnerOrganisationFactory
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.choices import CustomsStatus, ListingStatus, Unit
from warehouses.services import capacity_reserve

pytestmark = pytest.mark.django_db

SEARCH = reverse("warehouses:search")


def titles(response):
    return [r.listing.title for r in response.context["results"]]


def search(client, **params):
    params.setdefault("sort", "price")
    response = client.get(SEARCH, {k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200
    return response


@pytest.fixture
def world():
    """Listings in Rotterdam, Hamburg and Shanghai with different units, prices and features."""
    rotterdam = WarehouseFactory(
        name="Rotterdam WH",
        city="Rotterdam",
        country="NL",
        latitude=51.90,
        longitude=4.40,
        nearest_port_id="NLRTM",
        racking=True,
        cctv=True,
        customs_status=CustomsStatus.BONDED,
    )
    hamburg = WarehouseFactory(
        name="Hamburg WH",
        city="Hamburg",
        country="DE",
        latitude=53.53,
        longitude=9.97,
        nearest_port_id="DEHAM",
        racking=True,
    )
    shanghai = WarehouseFactory(
        name="Shanghai WH",
        city="Shanghai",
        country="CN",
        latitude=31.23,
        longitude=121.50,
        nearest_port_id="CNSHA",
        temperature_controlled=True,
    )
    return {
        "r-pallet": ListingFactory(warehouse=rotterdam, title="r-pallet", price_per_unit_day=Decimal("2.00")),
        "r-sqm": ListingFactory(warehouse=rotterdam, title="r-sqm", unit=Unit.SQM, price_per_unit_day=Decimal("0.50")),
        "h-pallet": ListingFactory(warehouse=hamburg, title="h-pallet", price_per_unit_day=Decimal("1.00")),
        "s-cbm": ListingFactory(
            warehouse=shanghai,
            title="s-cbm",
            unit=Unit.CBM,
            currency="CNY",
            price_per_unit_day=Decimal("3.00"),
        ),
    }


class TestFilters:
    def test_country(self, client, world):
        assert titles(search(client, country="DE")) == ["h-pallet"]

    def test_city_is_case_insensitive_and_partial(self, client, world):
        assert set(titles(search(client, city="rotter"))) == {"r-pallet", "r-sqm"}

    def test_port_and_radius(self, client, world):
        # Hamburg is ~410 km from Rotterdam's port.
        assert set(titles(search(client, port="NLRTM", radius=100))) == {"r-pallet", "r-sqm"}
        assert set(titles(search(client, port="nlrtm", radius=500))) == {"r-pallet", "r-sqm", "h-pallet"}

    def test_dates_and_quantity_need_every_day_free(self, client, world):
        capacity_reserve(listing=world["h-pallet"], start=days_from_now(12), end=days_from_now(12), quantity=8)
        dates = {"start": days_from_now(10).isoformat(), "end": days_from_now(15).isoformat()}

        assert "h-pallet" in titles(search(client, quantity=2, **dates))
        assert "h-pallet" not in titles(search(client, quantity=3, **dates))
        result = next(
            r for r in search(client, quantity=2, **dates).context["results"] if r.listing.title == "h-pallet"
        )
        assert result.listing.free_units == 2
        assert result.quote.days == 6

    def test_dates_respect_min_and_max_days(self, client, world):
        world["h-pallet"].min_days = 10
        world["h-pallet"].save()

        dates = {"start": days_from_now(1).isoformat(), "end": days_from_now(5).isoformat()}
        assert "h-pallet" not in titles(search(client, **dates))

    def test_unit(self, client, world):
        assert titles(search(client, unit="cbm")) == ["s-cbm"]

    def test_customs_status(self, client, world):
        assert set(titles(search(client, customs_status="bonded"))) == {"r-pallet", "r-sqm"}

    def test_features_must_all_match(self, client, world):
        response = client.get(SEARCH, {"features": ["racking", "cctv"], "sort": "price"})
        assert set(titles(response)) == {"r-pallet", "r-sqm"}
        response = client.get(SEARCH, {"features": ["racking"], "sort": "price"})
        assert set(titles(response)) == {"r-pallet", "r-sqm", "h-pallet"}

    def test_max_price(self, client, world):
        assert set(titles(search(client, max_price="1.00", currency="EUR"))) == {"r-sqm", "h-pallet"}

    def test_currency(self, client, world):
        assert titles(search(client, currency="CNY")) == ["s-cbm"]

    def test_only_active_listings_are_found(self, client, world):
        world["h-pallet"].status = ListingStatus.PAUSED
        world["h-pallet"].save()
        assert "h-pallet" not in titles(search(client))


class TestSorts:
    def test_price_sorts_by_what_a_unit_costs_for_the_dates(self, client, world):
        # 1 day: price + 8.00 handling; 30 days: price * 30 + 8.00
        dates = {"start": days_from_now(1).isoformat(), "end": days_from_now(30).isoformat()}
        assert titles(search(client, **dates)) == ["r-sqm", "h-pallet", "r-pallet", "s-cbm"]

    def test_distance(self, client, world):
        assert titles(search(client, port="DEHAM", radius=600, sort="distance"))[0] == "h-pallet"

    def test_distance_is_the_great_circle_distance(self, client, world):
        result = search(client, port="DEHAM", radius=600, sort="distance").context["results"][-1]
        assert 380 < result.distance_km < 440  # Rotterdam to Hamburg

    def test_rating_puts_rated_owners_first(self, client, world):
        org = world["s-cbm"].warehouse.organisation
        org.credit_score = 90
        org.credit_grade = "A"
        org.save()
        assert titles(search(client, sort="rating"))[0] == "s-cbm"

    def test_newest(self, client, world):
        newest = ListingFactory(title="brand-new")
        assert titles(search(client, sort="newest"))[0] == newest.title


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"start": "2099-01-10", "end": "2099-01-01"}, "end", "on or after the start"),
            ({"quantity": "-2"}, "quantity", "greater than or equal to 1"),
            ({"port": "XXXXX"}, "port", "Unknown port"),
            ({"start": "2020-01-01", "end": "2020-01-05"}, "start", "cannot be in the past"),
            ({"start": "not-a-date", "end": "2099-01-05"}, "start", "valid date"),
            ({"radius": "50"}, "port", "Choose a port"),
            ({"sort": "distance"}, "sort", "needs a port"),
            ({"max_price": "2"}, "currency", "Choose the currency"),
        ],
    )
    def test_gives_a_clear_message_not_a_500(self, client, world, params, field, message):
        response = client.get(SEARCH, params)

        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors[field])
        assert response.context["results"] == []
        assert message in response.content.decode()

    def test_an_empty_result_suggests_what_to_relax(self, client, world):
        response = search(
            client,
            port="NLRTM",
            radius=50,
            quantity=50,
            features="hazmat",
            start=days_from_now(1).isoformat(),
            end=days_from_now(5).isoformat(),
        )

        labels = [label for label, _ in response.context["suggestions"]]
        assert response.context["results"] == []
        assert "Search 100 km around Rotterdam" in labels
        assert any(label.startswith("Try ") for label in labels)  # a nearby port
        assert "Fewer units (25)" in labels
        assert "Two weeks later" in labels
        assert "No warehouse has that space free" in response.content.decode()


def query_count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


class TestQueryCounts:
    def test_search_runs_the_same_queries_for_1_or_15_results(self, client):
        params = {
            "port": "NLRTM",
            "radius": 300,
            "start": days_from_now(2).isoformat(),
            "end": days_from_now(9).isoformat(),
            "quantity": 1,
            "features": "racking",
        }
        owner = OwnerOrganisationFactory()
        ListingFactory(warehouse=WarehouseFactory(organisation=owner, racking=True))
        client.get(SEARCH, params)  # the country choices are cached after the first request
        one = query_count(client, SEARCH, params)
        for _ in range(14):
            ListingFactory(warehouse=WarehouseFactory(racking=True))
        many = query_count(client, SEARCH, params)

        assert len(client.get(SEARCH, params).context["results"]) == 15
        assert one == many <= 5  # port, candidate ids, availability, page rows, photos

    def test_listing_page_runs_a_fixed_number_of_queries(self, client):
        listing = ListingFactory()
        url = reverse("warehouses:listing_detail", args=[listing.pk])
        params = {"start": days_from_now(2).isoformat(), "end": days_from_now(9).isoformat(), "quantity": 2}

        assert query_count(client, url, params) <= 8


class TestListingPage:
    def test_quote_adds_up(self, client, settings):
        settings.WARESHARE = {**settings.WARESHARE, "PLATFORM_FEE_PERCENT": Decimal("5")}
        listing = ListingFactory(
            price_per_unit_day=Decimal("1.50"),
            handling_in_fee=Decimal("4.00"),
            handling_out_fee=Decimal("3.00"),
        )
        response = client.get(
            reverse("warehouses:listing_detail", args=[listing.pk]),
            {"start": days_from_now(1).isoformat(), "end": days_from_now(10).isoformat(), "quantity": 3},
        )

        quote = response.context["quote"]
        assert quote.storage == Decimal("45.00")  # 3 × 10 × 1.50
        assert quote.handling_in == Decimal("12.00")
        assert quote.handling_out == Decimal("9.00")
        assert quote.platform_fee == Decimal("3.30")  # 5% of 66.00
        assert quote.total == Decimal("69.30")
        assert "€69.30" in response.content.decode()
        assert response.context["available"] is True

    def test_too_long_a_lease_is_explained(self, client):
        listing = ListingFactory(max_days=5)
        response = client.get(
            reverse("warehouses:listing_detail", args=[listing.pk]),
            {"start": days_from_now(1).isoformat(), "end": days_from_now(10).isoformat(), "quantity": 1},
        )

        assert response.context["quote"] is None
        assert "Leases here run 1 to 5 days; you chose 10." in response.content.decode()

    @pytest.mark.parametrize("status", [ListingStatus.DRAFT, ListingStatus.PAUSED, ListingStatus.ARCHIVED])
    def test_listings_that_are_not_active_are_not_public(self, client, status):
        listing = ListingFactory(status=status)
        assert client.get(reverse("warehouses:listing_detail", args=[listing.pk])).status_code == 404


class TestWalkingTheSortOrder:
    def test_fully_booked_cheap_listings_are_skipped_across_batches(self, client):
        dates = {"start": days_from_now(2).isoformat(), "end": days_from_now(4).isoformat(), "quantity": 1}
        booked = [ListingFactory(price_per_unit_day=Decimal("0.10") + i / Decimal(100)) for i in range(55)]
        for listing in booked:
            capacity_reserve(listing=listing, start=days_from_now(3), end=days_from_now(3), quantity=listing.capacity)
        free = [ListingFactory(price_per_unit_day=Decimal("5.00") + i, title=f"free-{i}") for i in range(3)]

        response = search(client, **dates)

        assert titles(response) == [listing.title for listing in free]

    def test_pages_follow_the_sort_order_without_gaps_or_repeats(self, client):
        listings = [ListingFactory(price_per_unit_day=Decimal(1 + i)) for i in range(45)]
        dates = {"start": days_from_now(2).isoformat(), "end": days_from_now(4).isoformat()}

        pages = [titles(search(client, page=n, **dates)) for n in (1, 2, 3)]

        assert [len(page) for page in pages] == [20, 20, 5]
        assert [title for page in pages for title in page] == [listing.title for listing in listings]
        assert search(client, page=2, **dates).context["next_url"]
        assert search(client, page=3, **dates).context["next_url"] is None


def filter_form(page):
    return page[page.index('<form method="get"') : page.index("</form>", page.index('<form method="get"'))]


class TestCachedForm:
    """The filter form is cached per language and query (``views._form_key``); country names per
    language. A cached copy must never show another language, another query or stale errors."""

    def test_each_language_gets_its_own_country_names_and_labels(self, client, world):
        english = client.get(SEARCH, {"country": "DE"}, headers={"accept-language": "en"}).content.decode()
        chinese = client.get(SEARCH, {"country": "DE"}, headers={"accept-language": "zh-hans"}).content.decode()
        again = client.get(SEARCH, {"country": "DE"}, headers={"accept-language": "en"}).content.decode()

        assert "Germany" in english
        assert "德国" in chinese
        assert "Germany" not in chinese
        assert filter_form(again) == filter_form(english)

    def test_another_query_or_its_errors_are_not_served_from_the_cache(self, client, world):
        valid = search(client, city="Rotterdam").content.decode()
        invalid = client.get(SEARCH, {"city": "Rotterdam", "quantity": "-2"}).content.decode()

        assert 'value="Rotterdam"' in valid
        assert "greater than or equal to 1" not in valid
        assert "greater than or equal to 1" in invalid
        assert 'value="-2"' in invalid
