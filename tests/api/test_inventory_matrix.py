"""Goods in the warehouse across organisations, and the query counts of its lists.

Another organisation's product, stock, movement, adjustment photo or order is a 404 for every method
(the API never confirms it exists); an owner never sees an exporter's product list; lists show only the
caller's rows; and every new list runs as many queries for one row as for several."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.choices import KeyScope
from inventory import services
from inventory.models import AdjustmentPhoto, Product, StockMovement
from leasing.choices import LeaseState
from tests.accounts.factories import OrganisationFactory, member_of
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.trust.factories import png
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db

CONSIGNEE = {
    "consignee_name": "Müller GmbH",
    "consignee_address": "Hafenstraße 1",
    "consignee_country": "DE",
    "consignee_phone": "+49 40 123456",
}


@dataclass
class World:
    keys: dict[str, str]
    paths: dict[str, str]


@pytest.fixture
def world() -> World:
    parties = Parties()
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    chairs = Product.objects.get(organisation=parties.exporter_org, sku="CH-1")
    spare = services.product_create(
        organisation=parties.exporter_org, by=parties.exporter, sku="SPARE-1", description="Spare"
    )
    movement = services.stock_adjust(
        lease=lease, product=chairs, by=parties.owner, kind="damaged", quantity=1, reason="Torn", photos=[png()]
    )
    photo = AdjustmentPhoto.objects.get(movement=movement)
    order = services.order_create(lease=lease, by=parties.exporter, kind="ship", lines=[(chairs, 2)], **CONSIGNEE)
    other = OrganisationFactory(is_owner=True, is_exporter=True)
    keys = {
        "owner": key_for(parties.owner_org, user=parties.owner),
        "owner_read": key_for(parties.owner_org, user=parties.owner, scope=KeyScope.READ),
        "exporter": key_for(parties.exporter_org, user=parties.exporter),
        "exporter_read": key_for(parties.exporter_org, user=parties.exporter, scope=KeyScope.READ),
        "other": key_for(other),
    }
    paths = {
        "product": f"/api/v1/products/{spare.pk}/",
        "photo": f"/api/v1/adjustment-photos/{photo.pk}/",
        "order": f"/api/v1/orders/{order.pk}/",
        "lease": f"/api/v1/leases/{lease.pk}/",
        "chairs": str(chairs.pk),
        "movement": str(movement.pk),
    }
    return World(keys=keys, paths=paths)


BOTH, EXPORTER = ("owner", "exporter"), ("exporter",)
READS = [("product", "", EXPORTER), ("photo", "", BOTH), ("order", "", BOTH), ("lease", "orders/", BOTH)]


@pytest.mark.parametrize(("obj", "suffix", "sides"), READS, ids=[f"{o}/{s}" for o, s, _ in READS])
def test_reads(world, obj, suffix, sides):
    path = world.paths[obj] + suffix
    for side in sides:
        assert client_with(world.keys[side]).get(path).status_code == 200, (side, path)
        assert client_with(world.keys[f"{side}_read"]).get(path).status_code == 200, (side, "read key", path)
    strangers = ["other"] + (["owner"] if "owner" not in sides else [])
    for stranger in strangers:
        response = client_with(world.keys[stranger]).get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (stranger, path)
    assert client_with().get(path).status_code == 401


WRITES = [
    ("patch", "product", "", {"description": "Renamed"}, EXPORTER),
    ("delete", "product", "", None, EXPORTER),
    ("post", "order", "cancel/", None, BOTH),
    ("post", "order", "accept/", None, BOTH),
    ("post", "order", "refuse/", {"reason": "No"}, BOTH),
    ("post", "order", "pick/", None, BOTH),
    ("post", "order", "ship/", {"carrier": "DHL", "tracking_number": "1"}, BOTH),
    ("post", "order", "deliver/", None, BOTH),
    ("post", "lease", "orders/", {"kind": "removal"}, BOTH),
    ("post", "lease", "adjustments/", {"product": 1, "kind": "found", "quantity": 1, "reason": "x"}, BOTH),
]


@pytest.mark.parametrize(
    ("method", "obj", "suffix", "body", "sides"), WRITES, ids=[f"{m} {o}/{s}" for m, o, s, _, _ in WRITES]
)
def test_writes(world, method, obj, suffix, body, sides):
    path = world.paths[obj] + suffix

    def call(key):
        return getattr(client_with(key), method)(path, body, format="json")

    for side in sides:
        refused = call(world.keys[f"{side}_read"])
        assert (refused.status_code, refused.json()["code"]) == (403, "read_only_key"), (side, path)
    strangers = ["other"] + (["owner"] if "owner" not in sides else [])
    for stranger in strangers:
        response = call(world.keys[stranger])
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (stranger, path)
    anonymous = call(None)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated"), path


def test_lists_show_only_own_rows(world):
    other = client_with(world.keys["other"])
    owner = client_with(world.keys["owner"])
    exporter = client_with(world.keys["exporter"])
    for path in ("/api/v1/products/", "/api/v1/stock/", "/api/v1/stock/movements/", "/api/v1/orders/"):
        assert other.get(path).json()["results"] == [], path
        assert exporter.get(path).json()["results"], path
    assert owner.get("/api/v1/products/").json()["results"] == []  # products are the exporter's own
    assert owner.get("/api/v1/stock/").json()["results"]  # stock on leases at the owner's warehouses
    movements = [row["id"] for row in owner.get("/api/v1/stock/movements/").json()["results"]]
    assert int(world.paths["movement"]) in movements
    # Filters naming another organisation's rows find nothing (never an error that confirms them).
    assert other.get("/api/v1/stock/", {"product": world.paths["chairs"]}).json()["results"] == []
    assert other.get("/api/v1/stock/movements/", {"product": world.paths["chairs"]}).json()["results"] == []
    assert other.get("/api/v1/products/export/").content.decode().count("\n") == 1  # the header only
    for path in ("/api/v1/products/", "/api/v1/stock/", "/api/v1/orders/", "/api/v1/products/export/"):
        assert client_with().get(path).status_code == 401


def test_an_adjustment_of_another_exporters_product_is_refused(world):
    stranger = OrganisationFactory(is_exporter=True)
    foreign = services.product_create(
        organisation=stranger, by=member_of(stranger), sku="CH-1", description="Not theirs"
    )
    path = world.paths["lease"] + "adjustments/"
    body = {"product": foreign.pk, "kind": "found", "quantity": 1, "reason": "x"}
    before = StockMovement.objects.count()
    response = client_with(world.keys["owner"]).post(path, body, format="json")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["product"])
    assert StockMovement.objects.count() == before


# --- Query counts ----------------------------------------------------------------------------


def _count(client, path, params=None) -> tuple[int, int]:
    client.get(path, params)  # warm up: the key's last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


def test_inventory_lists_run_a_constant_number_of_queries():
    parties = Parties(capacity=100)
    owner = client_with(key_for(parties.owner_org, user=parties.owner))
    exporter = client_with(key_for(parties.exporter_org, user=parties.exporter))
    lease = parties.lease_in(LeaseState.CHECKED_IN, start=days_from_now(3), end=days_from_now(40), quantity=1)
    chairs = Product.objects.get(sku="CH-1")
    tables = Product.objects.get(sku="TB-1")

    def order() -> None:
        services.order_create(lease=lease, by=parties.exporter, kind="ship", lines=[(chairs, 1)], **CONSIGNEE)

    def adjust() -> None:
        services.stock_adjust(
            lease=lease, product=tables, by=parties.owner, kind="found", quantity=1, reason="x", photos=[png()]
        )

    # One row each: chairs' stock and movement (filtered), one product, one order.
    order()
    adjust()
    cases = [
        (exporter, "/api/v1/products/", {"q": "CH-"}),
        (owner, "/api/v1/stock/", {"lease": lease.pk, "product": chairs.pk}),
        (exporter, "/api/v1/stock/movements/", {"product": tables.pk, "kind": "found"}),
        (owner, "/api/v1/orders/", None),
        (exporter, "/api/v1/orders/", None),
        (owner, f"/api/v1/leases/{lease.pk}/orders/", None),
    ]
    one = [_count(client, path, params) for client, path, params in cases]
    for i in range(5):
        order()
        adjust()
        services.product_create(
            organisation=parties.exporter_org, by=parties.exporter, sku=f"CH-{i + 2}", description="More"
        )
        parties.lease_in(LeaseState.CHECKED_IN, start=days_from_now(3 + i), end=days_from_now(30 + i), quantity=1)
    # Six rows each: now filter by SKU prefix, by product over every lease, and the found adjustments.
    cases[1] = (owner, "/api/v1/stock/", {"product": chairs.pk})
    six = [_count(client, path, params) for client, path, params in cases]
    for path_case, few, many in zip(cases, one, six, strict=True):
        assert (few[1], many[1]) == (1, 6), (path_case[1], few, many)
        assert few[0] == many[0], (path_case[1], few, many)
