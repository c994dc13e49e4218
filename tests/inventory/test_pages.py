"""The inventory pages: each renders for its side, with its empty state; another organisation gets a
404 on every object page; bad input is a form error and writes nothing; the CSV import is all or nothing."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory import services
from inventory.choices import MovementKind, OrderStatus
from inventory.models import OutboundOrder, Product, StockMovement
from leasing.choices import LeaseState
from leasing.models import CheckInLine
from tests.accounts.factories import ExporterOrganisationFactory, OwnerOrganisationFactory, member_of
from tests.leasing.factories import Parties
from tests.trust.factories import png

from .factories import lease_with_goods, level, product

pytestmark = pytest.mark.django_db

CONSIGNEE = {
    "consignee_name": "Jansen Retail",
    "consignee_address": "Kade 1",
    "consignee_city": "Utrecht",
    "consignee_country": "NL",
    "consignee_phone": "+31 30 000 0000",
}


def ordered(p: Parties, lease, units: int = 10, *, sku: str = "CH-1") -> OutboundOrder:
    return services.order_create(
        lease=lease, by=p.exporter, kind="ship", lines=[(product(lease, sku), units)], reference="PO-7", **CONSIGNEE
    )


@pytest.fixture
def goods(p):
    lease = lease_with_goods(p)
    return lease, ordered(p, lease)


def text(response) -> str:
    return response.content.decode()


# --- Each page renders for its side ------------------------------------------------------------


def test_exporter_pages_render(client, p, goods):
    lease, order = goods
    chairs = product(lease, "CH-1")
    client.force_login(p.exporter)
    pages = {
        reverse("inventory:product_list"): ["CH-1", "TB-1", "Import CSV"],
        reverse("inventory:product_create"): ["Add a product"],
        reverse("inventory:product_update", args=[chairs.pk]): ["Edit CH-1"],
        reverse("inventory:product_delete", args=[chairs.pk]): ["Delete CH-1?"],
        reverse("inventory:product_import"): ["Import products", "sku"],
        reverse("inventory:stock"): ["By SKU", "Folding chairs", "Last movements", "Received at check-in"],
        reverse("inventory:stock") + "?view=warehouse": ["By warehouse", p.listing.warehouse.name],
        reverse("inventory:product_stock", args=[chairs.pk]): ["Where it is", "Ledger"],
        reverse("inventory:lease_stock", args=[lease.pk]): [f"Stock on lease #{lease.pk}", "Order goods out"],
        reverse("inventory:order_list"): [f"Order #{order.pk}", "Waiting for the owner"],
        reverse("inventory:order_create"): ["From lease"],
        reverse("inventory:order_create") + f"?lease={lease.pk}": ["Units to send", "CH-1", "Consignee"],
        reverse("inventory:order_detail", args=[order.pk]): ["Status timeline", "Cancel the order", "PO-7"],
        reverse("leasing:lease_detail", args=[lease.pk]): ["Stock", "Open outbound orders", "Order goods out"],
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        for words in expected:
            assert words in text(response), (url, words)


def test_owner_pages_render(client, p, goods):
    lease, order = goods
    client.force_login(p.owner)
    queue = client.get(reverse("inventory:outbound_queue"))
    assert queue.status_code == 200
    assert f"Order #{order.pk}" in text(queue)
    assert ">Accept<" in text(queue)
    assert "Refuse…" in text(queue)
    assert "Ship…" not in text(queue)  # not before it is picked: inventory.rules.order_allowed
    detail = client.get(reverse("inventory:order_detail", args=[order.pk]))
    assert "Jansen Retail" in text(detail)
    assert "Cancel the order" not in text(detail)
    services.order_accept(order=order, by=p.owner)
    pick_list = client.get(reverse("inventory:pick_list", args=[order.pk]))
    assert pick_list.status_code == 200
    for words in ("Pick list", "CH-1", "Folding chairs", p.listing.warehouse.name, f"#{lease.pk}"):
        assert words in text(pick_list)
    assert "<script" not in text(pick_list)
    assert "Record an adjustment" in text(client.get(reverse("inventory:lease_stock", args=[lease.pk])))
    assert client.get(reverse("inventory:stock_adjust", args=[lease.pk])).status_code == 200
    assert "Record an adjustment" in text(client.get(reverse("leasing:lease_detail", args=[lease.pk])))


def test_empty_states(client):
    exporter = member_of(ExporterOrganisationFactory())
    client.force_login(exporter)
    assert "No products yet" in text(client.get(reverse("inventory:product_list")))
    assert "No stock yet" in text(client.get(reverse("inventory:stock")))
    assert "No outbound orders yet" in text(client.get(reverse("inventory:order_list")))
    assert "no goods on hand" in text(client.get(reverse("inventory:order_create")))
    owner = member_of(OwnerOrganisationFactory())
    client.force_login(owner)
    assert "No open orders" in text(client.get(reverse("inventory:outbound_queue")))


def test_an_owner_cannot_open_the_exporter_pages(client, p):
    client.force_login(p.owner)
    for name in ("product_list", "product_import", "stock", "order_list", "order_create"):
        assert client.get(reverse(f"inventory:{name}")).status_code == 404, name
    client.force_login(p.exporter)
    assert client.get(reverse("inventory:outbound_queue")).status_code == 404


# --- Another organisation: 404 on every object page ----------------------------------------------


@pytest.mark.parametrize("who", ["exporter", "owner"])
def test_another_organisation_gets_404(client, p, goods, who):
    lease, order = goods
    chairs = product(lease, "CH-1")
    other = Parties(capacity=10)
    client.force_login(other.exporter if who == "exporter" else other.owner)
    gets = [
        reverse("inventory:product_update", args=[chairs.pk]),
        reverse("inventory:product_delete", args=[chairs.pk]),
        reverse("inventory:product_stock", args=[chairs.pk]),
        reverse("inventory:lease_stock", args=[lease.pk]),
        reverse("inventory:stock_adjust", args=[lease.pk]),
        reverse("inventory:order_detail", args=[order.pk]),
        reverse("inventory:pick_list", args=[order.pk]),
        reverse("inventory:order_create") + f"?lease={lease.pk}",
    ]
    for url in gets:
        status = client.get(url).status_code
        # Another exporter's lease is not among the choices: the form says so (200, no order form).
        expected = 200 if "?lease=" in url and who == "exporter" else 404
        assert status == expected, url
    assert "CH-1" not in text(client.get(reverse("inventory:order_create") + f"?lease={lease.pk}"))
    for step in ("accept", "cancel", "refuse", "pick", "ship", "deliver"):
        url = reverse("inventory:order_step", args=[order.pk, step])
        assert (
            client.post(url, {"refuse-reason": "x", "ship-carrier": "x", "ship-tracking_number": "1"}).status_code
            == 404
        )
    assert client.post(reverse("inventory:product_delete", args=[chairs.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    assert Product.objects.filter(pk=chairs.pk).exists()


def test_the_exporter_cannot_print_the_pick_list_or_adjust(client, p, goods):
    lease, order = goods
    client.force_login(p.exporter)
    assert client.get(reverse("inventory:pick_list", args=[order.pk])).status_code == 404
    assert client.get(reverse("inventory:stock_adjust", args=[lease.pk])).status_code == 404


# --- Products, CSV ------------------------------------------------------------------------------


def test_product_create_edit_delete(client, p):
    client.force_login(p.exporter)
    response = client.post(
        reverse("inventory:product_create"),
        {"sku": "MUG-1", "description": "Blue mug", "units_per_carton": "24", "hs_code": "6912.00"},
    )
    assert response.status_code == 302
    mug = Product.objects.get(organisation=p.exporter_org, sku="MUG-1")
    assert (mug.units_per_carton, mug.hs_code) == (24, "691200")
    client.post(reverse("inventory:product_update", args=[mug.pk]), {"sku": "MUG-1", "description": "Red mug"})
    mug.refresh_from_db()
    assert mug.description == "Red mug"
    client.post(reverse("inventory:product_delete", args=[mug.pk]))
    assert not Product.objects.filter(pk=mug.pk).exists()


def test_product_form_errors(client, p):
    client.force_login(p.exporter)
    services.product_create(organisation=p.exporter_org, by=p.exporter, sku="MUG-1", description="Mug")
    bad = {"sku": "", "description": "", "units_per_carton": "0", "unit_value": "3.50"}
    response = client.post(reverse("inventory:product_create"), bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"sku", "description", "units_per_carton", "currency"} <= set(errors)
    taken = client.post(reverse("inventory:product_create"), {"sku": "mug-1", "description": "Another mug"})
    assert "already has a product with SKU" in taken.context["form"].errors["sku"][0]
    assert Product.objects.filter(organisation=p.exporter_org).count() == 1


def test_a_product_with_movements_is_not_deleted(client, p):
    lease = lease_with_goods(p)
    client.force_login(p.exporter)
    response = client.post(reverse("inventory:product_delete", args=[product(lease, "CH-1").pk]), follow=True)
    assert "cannot be deleted" in text(response)
    assert Product.objects.filter(organisation=p.exporter_org, sku="CH-1").exists()


def csv_file(rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("products.csv", buffer.getvalue().encode(), content_type="text/csv")


def test_csv_import_with_errors_writes_nothing_and_lists_each_row(client, p):
    client.force_login(p.exporter)
    rows = [
        ["sku", "description", "units_per_carton", "hs_code"],
        ["LAMP-1", "Desk lamp", "6", "9405.20"],
        ["", "No SKU", "6", ""],
        ["LAMP-2", "Floor lamp", "many", ""],
    ]
    response = client.post(reverse("inventory:product_import"), {"file": csv_file(rows)})
    assert response.status_code == 200
    assert not Product.objects.filter(organisation=p.exporter_org).exists()
    errors = response.context["errors"]
    assert {error.row for error in errors} == {2, 3}
    assert "Rows to fix" in text(response)
    assert "units_per_carton" in text(response)


def test_csv_import_then_export(client, p):
    client.force_login(p.exporter)
    rows = [["sku", "description", "units_per_carton"], ["LAMP-1", "Desk lamp", "6"], ["LAMP-2", "Floor lamp", ""]]
    response = client.post(reverse("inventory:product_import"), {"file": csv_file(rows)}, follow=True)
    assert "Imported: 2 new products, 0 updated." in text(response)
    export = client.get(reverse("inventory:product_export"))
    assert export["Content-Type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [row["sku"] for row in exported] == ["LAMP-1", "LAMP-2"]


def test_csv_import_refuses_a_file_that_is_not_utf8(client, p):
    client.force_login(p.exporter)
    upload = SimpleUploadedFile("p.csv", "sku,description\nA,Café\n".encode("utf-16"), content_type="text/csv")
    response = client.post(reverse("inventory:product_import"), {"file": upload})
    assert "not UTF-8" in text(response)
    assert not Product.objects.exists()


# --- Stock --------------------------------------------------------------------------------------


def test_stock_filters_and_export(client, p):
    lease = lease_with_goods(p)
    client.force_login(p.exporter)
    by_sku = client.get(reverse("inventory:stock"), {"q": "chair"})
    assert [row["product__sku"] for row in by_sku.context["rows"]] == ["CH-1"]
    by_warehouse = client.get(reverse("inventory:stock"), {"view": "warehouse", "lease": lease.pk})
    assert {level.product.sku for level in by_warehouse.context["rows"]} == {"CH-1", "TB-1"}
    bad = client.get(reverse("inventory:stock"), {"lease": "999999"})
    assert bad.status_code == 200
    assert "Select a valid choice" in text(bad)
    export = client.get(reverse("inventory:stock_export"), {"q": "TB"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [(row["sku"], row["on_hand"], row["held"]) for row in rows] == [("TB-1", "10", "0")]
    services.product_update(product=product(lease, "TB-1"), by=p.exporter, description="=HYPERLINK(1)")
    export = client.get(reverse("inventory:stock_export"), {"q": "TB"})
    assert next(csv.DictReader(io.StringIO(export.content.decode())))["description"] == "'=HYPERLINK(1)"


# --- Orders -------------------------------------------------------------------------------------


def test_order_form_errors_write_nothing(client, p):
    lease = lease_with_goods(p)
    chairs = product(lease, "CH-1")
    client.force_login(p.exporter)
    url = reverse("inventory:order_create") + f"?lease={lease.pk}"
    nothing = client.post(url, {"kind": "pickup", f"qty_{chairs.pk}": "0"})
    assert "Enter how many units of at least one SKU leave." in text(nothing)
    too_many = client.post(url, {"kind": "pickup", f"qty_{chairs.pk}": "41"})
    assert too_many.context["form"].errors[f"qty_{chairs.pk}"]
    no_consignee = client.post(url, {"kind": "ship", f"qty_{chairs.pk}": "5"})
    assert "consignee_name" in no_consignee.context["form"].errors
    assert not OutboundOrder.objects.exists()
    made = client.post(url, {"kind": "ship", f"qty_{chairs.pk}": "5", "reference": "PO-9", **CONSIGNEE})
    order = OutboundOrder.objects.get()
    assert made["Location"] == reverse("inventory:order_detail", args=[order.pk])
    assert [(line.product.sku, line.quantity) for line in order.lines.all()] == [("CH-1", 5)]


def test_removal_takes_everything(client, p):
    lease = lease_with_goods(p)
    client.force_login(p.exporter)
    client.post(reverse("inventory:order_create") + f"?lease={lease.pk}", {"kind": "removal"})
    assert OutboundOrder.objects.get().kind == "removal"


def test_owner_steps_through_the_pages(client, p, goods):
    lease, order = goods
    client.force_login(p.owner)
    queue = reverse("inventory:outbound_queue")
    step = lambda name, data=None: client.post(  # noqa: E731
        reverse("inventory:order_step", args=[order.pk, name]), {"next": queue, **(data or {})}
    )
    assert step("accept")["Location"] == queue
    assert level(lease, "CH-1").held == 10
    step("pick")
    missing = step("ship", {"ship-carrier": "DHL"})
    assert missing.status_code == 200
    assert missing.context["ship_form"].errors["tracking_number"]
    step("ship", {"ship-carrier": "DHL", "ship-tracking_number": "JD0001"})
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "JD0001")
    assert level(lease, "CH-1").on_hand == 30
    client.force_login(p.exporter)
    page = text(client.get(reverse("inventory:order_detail", args=[order.pk])))
    assert "JD0001" in page
    assert "Mark as delivered" in page


def test_refuse_needs_a_reason(client, p, goods):
    _, order = goods
    client.force_login(p.owner)
    url = reverse("inventory:order_step", args=[order.pk, "refuse"])
    assert client.post(url, {"refuse-reason": ""}).context["refuse_form"].errors["reason"]
    client.post(url, {"refuse-reason": "Goods are under customs hold"})
    order.refresh_from_db()
    assert (order.status, order.refuse_reason) == (OrderStatus.REFUSED, "Goods are under customs hold")
    assert client.post(reverse("inventory:order_step", args=[order.pk, "teleport"])).status_code == 404


def test_a_step_not_allowed_now_is_a_message(client, p, goods):
    _, order = goods
    client.force_login(p.owner)
    response = client.post(reverse("inventory:order_step", args=[order.pk, "pick"]), follow=True)
    assert response.status_code == 200
    assert OutboundOrder.objects.get().status == OrderStatus.REQUESTED


# --- Adjustments and check-in -------------------------------------------------------------------


def test_adjustment_with_a_photo(client, p):
    lease = lease_with_goods(p)
    tables = product(lease, "TB-1")
    client.force_login(p.owner)
    url = reverse("inventory:stock_adjust", args=[lease.pk])
    bad = client.post(url, {"product": tables.pk, "kind": "lost", "quantity": "0", "reason": ""})
    assert {"quantity", "reason"} <= set(bad.context["form"].errors)
    client.post(
        url, {"product": tables.pk, "kind": "damaged", "quantity": "2", "reason": "Forklift", "photos": [png()]}
    )
    movement = StockMovement.objects.get(kind=MovementKind.DAMAGED)
    assert (movement.quantity, movement.photos.count()) == (-2, 1)
    assert level(lease, "TB-1").on_hand == 8


def test_checkin_page_records_damaged_units(client, p):
    lease = p.lease_in(LeaseState.FUNDED)
    shipment = p.walker.announce(lease)
    from leasing import services as leasing

    leasing.shipment_mark(shipment=shipment, by=p.owner, status="arrived")
    chairs, tables = shipment.lines.all()
    client.force_login(p.owner)
    url = reverse("leasing:checkin_create", args=[shipment.pk])
    page = client.get(url)
    assert "Of which damaged" in text(page)
    assert "Over / short" in text(page)
    data = {"condition": "good", f"received_{chairs.pk}": "38", f"damaged_{chairs.pk}": "39"}
    data |= {f"received_{tables.pk}": "10", f"damaged_{tables.pk}": "0"}
    wrong = client.post(url, data)
    assert wrong.context["form"].errors[f"damaged_{chairs.pk}"]
    assert "−2" in text(wrong) or "-2" in text(wrong)  # the short count, shown per line
    data[f"damaged_{chairs.pk}"] = "3"
    assert client.post(url, data).status_code == 302
    line = CheckInLine.objects.get(line=chairs)
    assert (line.received_quantity, line.damaged_quantity) == (38, 3)


def test_shipment_form_offers_the_exporters_skus(client, p):
    lease = p.lease_in(LeaseState.FUNDED)
    services.product_create(organisation=p.exporter_org, by=p.exporter, sku="MUG-1", description="Blue mug")
    other = Parties(capacity=10)
    services.product_create(organisation=other.exporter_org, by=other.exporter, sku="SECRET-9", description="x")
    client.force_login(p.exporter)
    page = text(client.get(reverse("leasing:shipment_create", args=[lease.pk])))
    assert '<option value="MUG-1">Blue mug</option>' in page
    assert 'list="sku-choices"' in page
    assert "SECRET-9" not in page


def test_the_lease_page_has_a_stock_section_once_goods_arrived(client, p):
    funded = p.lease_in(LeaseState.FUNDED)
    client.force_login(p.owner)
    assert "Record an adjustment" not in text(client.get(reverse("leasing:lease_detail", args=[funded.pk])))
    lease = lease_with_goods(p)
    chairs, tables = level(lease, "CH-1"), level(lease, "TB-1")
    services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(chairs.product, 40), (tables.product, 10)])
    order = OutboundOrder.objects.get()
    services.order_accept(order=order, by=p.owner)
    services.order_pick(order=order, by=p.owner)
    services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="1")
    page = text(client.get(reverse("leasing:lease_detail", args=[lease.pk])))
    assert "No goods on hand." in page  # all shipped: the section stays, with the ledger and adjustments
    assert "Record an adjustment" in page
