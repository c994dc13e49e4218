"""Products (with CSV import and export), stock levels, the stock ledger and adjustments over the API:
the same services as the pages; bad input is a 4xx JSON error and writes nothing."""

import pytest

from inventory.models import AdjustmentPhoto, Product, StockLevel, StockMovement
from leasing.choices import LeaseState
from tests.trust.factories import not_an_image, png

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
CSV_HEADER = (
    "sku,description,units_per_carton,units_per_pallet,weight_kg,length_cm,width_cm,height_cm,"
    "hs_code,origin_country,unit_value,currency\n"
)


def _product(client, **fields):
    body = {"sku": "MUG-1", "description": "Blue mugs", **fields}
    response = client.post(PRODUCTS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_products_create_list_retrieve_update_delete(parties, exporter_api):
    created = _product(
        exporter_api,
        units_per_carton=12,
        weight_kg="0.350",
        hs_code="6912.00",
        origin_country="CN",
        unit_value="2.50",
        currency="EUR",
    )
    assert (created["sku"], created["hs_code"], created["origin_country"]) == ("MUG-1", "691200", "CN")
    assert created["unit_value"] == "2.50"
    _product(exporter_api, sku="TEA-2", description="Green tea")

    listed = exporter_api.get(PRODUCTS).json()["results"]
    assert [row["sku"] for row in listed] == ["MUG-1", "TEA-2"]
    assert [row["sku"] for row in exporter_api.get(PRODUCTS, {"sku": "tea-2"}).json()["results"]] == ["TEA-2"]
    assert [row["sku"] for row in exporter_api.get(PRODUCTS, {"q": "mugs"}).json()["results"]] == ["MUG-1"]

    path = f"{PRODUCTS}{created['id']}/"
    assert exporter_api.get(path).json()["description"] == "Blue mugs"
    changed = exporter_api.patch(path, {"description": "Blue mugs, 6 pack"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["description"], changed.json()["currency"]) == ("Blue mugs, 6 pack", "EUR")

    assert exporter_api.delete(path).status_code == 204
    assert exporter_api.get(path).status_code == 404
    assert list(Product.objects.values_list("sku", flat=True)) == ["TEA-2"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "", "description": "Mugs"}, "sku"),
        ({"sku": "A" * 65, "description": "Mugs"}, "sku"),
        ({"sku": "MUG\u0007", "description": "Mugs"}, "sku"),
        ({"sku": "MUG-9"}, "description"),
        ({"sku": "MUG-9", "description": "Mugs", "origin_country": "XX"}, "origin_country"),
        ({"sku": "MUG-9", "description": "Mugs", "origin_country": "Narnia"}, "origin_country"),
        ({"sku": "MUG-9", "description": "Mugs", "units_per_carton": 0}, "units_per_carton"),
        ({"sku": "MUG-9", "description": "Mugs", "units_per_carton": -3}, "units_per_carton"),
        ({"sku": "MUG-9", "description": "Mugs", "weight_kg": "-1"}, "weight_kg"),
        ({"sku": "MUG-9", "description": "Mugs", "hs_code": "12ab"}, "hs_code"),
        ({"sku": "MUG-9", "description": "Mugs", "unit_value": "3.00"}, "currency"),
        ({"sku": "MUG-9", "description": "Mugs", "currency": "XYZ"}, "currency"),
    ],
)
def test_bad_products_are_refused_and_nothing_is_written(parties, exporter_api, body, field):
    response = exporter_api.post(PRODUCTS, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Product.objects.exists()


def test_a_duplicate_sku_is_refused_without_case(parties, exporter_api):
    first = _product(exporter_api)
    response = exporter_api.post(PRODUCTS, {"sku": "mug-1", "description": "Other mugs"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_product")
    assert Product.objects.count() == 1
    other = _product(exporter_api, sku="MUG-2")
    renamed = exporter_api.patch(f"{PRODUCTS}{other['id']}/", {"sku": "Mug-1"}, format="json")
    assert (renamed.status_code, renamed.json()["code"]) == (400, "invalid_product")
    assert Product.objects.get(pk=other["id"]).sku == "MUG-2"
    assert Product.objects.get(pk=first["id"]).sku == "MUG-1"


def test_a_product_with_movements_cannot_be_deleted(parties, exporter_api):
    parties.lease_in(LeaseState.CHECKED_IN)
    product = Product.objects.get(organisation=parties.exporter_org, sku="CH-1")
    response = exporter_api.delete(f"{PRODUCTS}{product.pk}/")
    assert response.status_code in (400, 409), response.content
    assert Product.objects.filter(pk=product.pk).exists()


def test_products_export_then_import_round_trip(parties, exporter_api):
    _product(exporter_api, units_per_carton=12, origin_country="CN", unit_value="2.50", currency="EUR")
    exported = exporter_api.get(f"{PRODUCTS}export/")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert text.splitlines()[0] == CSV_HEADER.strip()
    assert "MUG-1,Blue mugs,12" in text

    body = text + "TEA-2,Green tea,,,,,,,,,,\n"
    imported = exporter_api.post(f"{PRODUCTS}import/", body, content_type="text/csv")
    assert imported.status_code == 200, imported.content
    assert imported.json() == {"created": 1, "updated": 1}
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["MUG-1", "TEA-2"]


def test_products_import_as_a_multipart_file(parties, exporter_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.csv", (CSV_HEADER + "BOX-1,Boxes,,,,,,,,DE,,\n").encode(), "text/csv")
    response = exporter_api.post(f"{PRODUCTS}import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert Product.objects.get().origin_country == "DE"


@pytest.mark.parametrize(
    "body",
    [
        "sku;description\nA;B\n",  # not our columns
        CSV_HEADER + "A-1,Apples,,,,,,,,Narnia,,\n",  # a bad country
        CSV_HEADER + "A-1,Apples,,,,,,,,,,\nA-1,Apples again,,,,,,,,,,\n",  # a duplicate SKU row
        CSV_HEADER + "A-1,Apples,zero,,,,,,,,,\n",  # not a number
        CSV_HEADER + "A-1,,,,,,,,,,,\n",  # no description
        "",
    ],
)
def test_a_bad_import_names_its_rows_and_writes_nothing(parties, exporter_api, body):
    _product(exporter_api, sku="KEEP-1")
    response = exporter_api.post(f"{PRODUCTS}import/", body, content_type="text/csv")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "invalid_import"
    assert error["detail"]
    assert error["errors"], error
    assert set(error["errors"][0]) == {"row", "field", "message"}
    assert list(Product.objects.values_list("sku", flat=True)) == ["KEEP-1"]


def test_an_import_that_is_not_utf8_is_refused(parties, exporter_api):
    response = exporter_api.post(f"{PRODUCTS}import/", "sku\n\xff".encode("latin-1"), content_type="text/csv")
    assert response.status_code == 400
    assert not Product.objects.exists()


# --- Stock, movements, adjustments -----------------------------------------------------------


def test_stock_and_movements_for_both_sides_of_the_lease(parties, owner_api, exporter_api):
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    for client in (exporter_api, owner_api):
        rows = client.get("/api/v1/stock/").json()["results"]
        assert sorted((row["product"]["sku"], row["on_hand"], row["available"]) for row in rows) == [
            ("CH-1", 40, 40),
            ("TB-1", 10, 10),
        ]
        assert {row["lease"] for row in rows} == {lease.pk}
        assert {row["warehouse"] for row in rows} == {parties.listing.warehouse_id}
        moves = client.get("/api/v1/stock/movements/").json()["results"]
        assert sorted((row["kind"], row["quantity"]) for row in moves) == [("received", 10), ("received", 40)]
    chairs = Product.objects.get(sku="CH-1")
    filtered = exporter_api.get("/api/v1/stock/", {"sku": "ch-1", "lease": lease.pk}).json()["results"]
    assert [row["product"]["id"] for row in filtered] == [chairs.pk]
    assert exporter_api.get("/api/v1/stock/", {"warehouse": parties.listing.warehouse_id + 999}).json()["results"] == []
    moves = exporter_api.get("/api/v1/stock/movements/", {"product": chairs.pk, "kind": "received"}).json()
    assert [row["quantity"] for row in moves["results"]] == [40]
    assert exporter_api.get("/api/v1/stock/movements/", {"kind": "lost"}).json()["results"] == []
    assert exporter_api.get("/api/v1/stock/movements/", {"kind": "nonsense"}).status_code == 400


def test_the_owner_adjusts_stock_with_photos(parties, owner_api, exporter_api):
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    chairs = Product.objects.get(sku="CH-1")
    path = f"/api/v1/leases/{lease.pk}/adjustments/"
    body = {"product": chairs.pk, "kind": "damaged", "quantity": 2, "reason": "Forklift", "photos": [png()]}
    response = owner_api.post(path, body, format="multipart")
    assert response.status_code == 201, response.content
    movement = response.json()
    assert (movement["kind"], movement["quantity"], movement["reason"]) == ("damaged", -2, "Forklift")
    assert len(movement["photos"]) == 1
    assert owner_api.get(movement["photos"][0]["url"]).status_code == 200
    assert exporter_api.get(movement["photos"][0]["url"]).status_code == 200
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 38

    found = owner_api.post(
        path, {"product": chairs.pk, "kind": "found", "quantity": 1, "reason": "Aisle 4"}, format="json"
    )
    assert found.status_code == 201, found.content
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 39
    # The exporter may not adjust.
    refused = exporter_api.post(
        path, {"product": chairs.pk, "kind": "found", "quantity": 1, "reason": "x"}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "lost", "quantity": 41, "reason": "Gone"}, 409),  # above what is available
        ({"kind": "lost", "quantity": 0, "reason": "Gone"}, 400),
        ({"kind": "lost", "quantity": -1, "reason": "Gone"}, 400),
        ({"kind": "lost", "quantity": 1, "reason": ""}, 400),
        ({"kind": "shipped", "quantity": 1, "reason": "Gone"}, 400),
        ({"kind": "lost", "quantity": 1, "reason": "Gone", "product": 10**9}, 400),  # unknown product
    ],
)
def test_bad_adjustments_write_nothing(parties, owner_api, body, status):
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    chairs = Product.objects.get(sku="CH-1")
    before = StockMovement.objects.count()
    response = owner_api.post(f"/api/v1/leases/{lease.pk}/adjustments/", {"product": chairs.pk, **body}, format="json")
    assert response.status_code == status, response.content
    assert set(response.json()) >= {"code", "detail"}
    assert StockMovement.objects.count() == before
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 40


def test_a_bad_photo_refuses_the_adjustment(parties, owner_api):
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    chairs = Product.objects.get(sku="CH-1")
    body = {"product": chairs.pk, "kind": "lost", "quantity": 1, "reason": "Gone", "photos": [not_an_image()]}
    response = owner_api.post(f"/api/v1/leases/{lease.pk}/adjustments/", body, format="multipart")
    assert response.status_code == 400
    assert "photos" in response.json()["fields"]
    assert not AdjustmentPhoto.objects.exists()
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 40
