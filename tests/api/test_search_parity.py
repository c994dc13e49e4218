"""The search page and the API's search are one path (``warehouses.search.search_page``): the
same input is refused with the same message, and the same rows come back in the same order."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.leasing.factories import Parties
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.validators import MAX_UNITS

pytestmark = pytest.mark.django_db

SEARCH = reverse("warehouses:search")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (MAX_UNITS + 1, f"less than or equal to {MAX_UNITS}"),
        (10**12, f"less than or equal to {MAX_UNITS}"),
        ("1.5", "whole number"),
        ("0", "greater than or equal to 1"),
    ],
)
def test_page_and_api_refuse_the_same_quantities(client, quantity, message):
    params = {"start": days_from_now(3), "end": days_from_now(9), "quantity": quantity}
    page = client.get(SEARCH, params)
    api = APIClient().get("/api/v1/search/", params)

    assert page.status_code == 200
    assert message in " ".join(page.context["form"].errors["quantity"])
    assert api.status_code == 400
    assert message in " ".join(api.json()["fields"]["quantity"])


def test_the_cap_itself_is_accepted_by_both(client):
    params = {"start": days_from_now(3), "end": days_from_now(9), "quantity": MAX_UNITS}
    assert client.get(SEARCH, params).context["form"].errors == {}
    assert APIClient().get("/api/v1/search/", params).status_code == 200


def test_page_and_api_show_the_same_rows_in_the_same_order(client):
    warehouse = WarehouseFactory(organisation=Parties().owner_org)
    for _ in range(4):
        ListingFactory(warehouse=warehouse)
    params = {"start": days_from_now(3), "end": days_from_now(9), "quantity": 2, "sort": "price"}

    page = client.get(SEARCH, params).context["results"]
    api = APIClient().get("/api/v1/search/", {**params, "page_size": 100}).json()["results"]

    assert len(page) >= 4
    assert [r.listing.pk for r in page] == [r["listing"]["id"] for r in api]
    assert [r.free_units for r in page] == [r["free_units"] for r in api]
    assert [str(r.quote.total) for r in page] == [r["quote"]["total"] for r in api]
