"""Journey 4, goods in the warehouse, in a real browser with two people: the exporter imports its
products from a CSV → announces a shipment by SKU → the owner checks it in with one damaged line →
the exporter orders 10 units out → the owner accepts, picks and ships it with a tracking number →
the exporter sees the tracking and the stock go down. The lease up to paid, and the shipment's
arrival, are played through the services."""

import re

import pytest
from playwright.sync_api import Page, expect

from inventory.choices import MovementKind, OrderStatus
from inventory.models import OutboundOrder, StockLevel, StockMovement
from leasing import services as leasing
from leasing.choices import LeaseState
from tests.accounts.factories import PASSWORD
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

from .helpers import assert_accessible, expect_message, shot

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEY = "inventory"
CSV = (
    b"sku,description,units_per_carton,weight_kg,hs_code,origin_country,unit_value,currency\n"
    b"LAMP-DESK,LED desk lamp,8,1.1,9405.21,CN,14.90,USD\n"
    b"LAMP-FLOOR,LED floor lamp,2,4.5,9405.21,CN,39.00,USD\n"
)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Notifications")).to_be_visible()


def _import_products(page: Page) -> None:
    page.get_by_role("link", name="Products", exact=True).first.click()
    expect(page.get_by_text("No products yet")).to_be_visible()
    page.get_by_role("button", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files({"name": "products.csv", "mimeType": "text/csv", "buffer": CSV})
    shot(page, JOURNEY, "01-import")
    page.get_by_role("button", name="Import", exact=True).click()
    expect_message(page, "Imported: 2 new products, 0 updated.")
    expect(page.get_by_role("cell", name="LED floor lamp")).to_be_visible()
    assert_accessible(page, "the products page")


def _announce(page: Page, lease_pk: int) -> None:
    page.goto(f"/leases/{lease_pk}/")
    page.get_by_role("button", name="Announce a shipment").click()
    page.get_by_label("Carrier").fill("COSCO")
    page.get_by_label("Tracking number").fill("CSNU7654321")
    page.get_by_label("Estimated arrival").fill(days_from_now(3).isoformat())
    page.get_by_label("Customs reference").fill("MRN-24NL0001")
    # The SKU fields offer the products just imported.
    expect(page.locator("#sku-choices option[value='LAMP-DESK']")).to_be_attached()
    page.get_by_label("Description, line 1").fill("LED desk lamp")
    page.get_by_label("SKU, line 1").fill("LAMP-DESK")
    page.get_by_label("Quantity, line 1").fill("30")
    page.get_by_label("Description, line 2").fill("LED floor lamp")
    page.get_by_label("SKU, line 2").fill("LAMP-FLOOR")
    page.get_by_label("Quantity, line 2").fill("12")
    shot(page, JOURNEY, "02-announce")
    page.get_by_role("button", name="Announce the shipment").click()
    expect_message(page, "Shipment announced")


def _check_in(page: Page, lease_pk: int) -> None:
    page.goto(f"/leases/{lease_pk}/")
    page.get_by_role("button", name="Check in goods").click()
    page.get_by_label("Received: LED desk lamp").fill("30")
    page.get_by_label("Received: LED floor lamp").fill("11")
    expect(page.locator("output").nth(1)).to_have_text("-1")  # short by one, shown as it is typed
    page.get_by_label("Damaged: LED floor lamp").fill("2")
    shot(page, JOURNEY, "03-check-in")
    assert_accessible(page, "the check-in form")
    page.get_by_role("button", name="Record the check-in").click()
    expect_message(page, "Checked in")
    expect(page.get_by_text("2 damaged")).to_be_visible()


def _order_out(page: Page) -> int:
    page.get_by_role("link", name="Stock", exact=True).first.click()
    expect(page.get_by_role("cell", name="LAMP-DESK", exact=True)).to_be_visible()
    shot(page, JOURNEY, "04-stock")
    assert_accessible(page, "the stock page")
    page.get_by_role("button", name="Order goods out").first.click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Ship to a consignee").check()
    page.get_by_label("Units of LAMP-DESK").fill("10")
    page.get_by_label("Your reference").fill("SO-2001")
    page.get_by_label("Consignee name").fill("Jansen Wonen B.V.")
    page.get_by_label("Address").fill("Oudegracht 112")
    page.get_by_label("City").fill("Utrecht")
    page.get_by_label("Country").select_option("NL")
    page.get_by_label("Phone").fill("+31 30 231 0000")
    shot(page, JOURNEY, "05-order")
    assert_accessible(page, "the order form")
    page.get_by_role("button", name="Send the order to the warehouse").click()
    expect_message(page, "Order sent to the warehouse")
    expect(page.get_by_text("Waiting for the owner").first).to_be_visible()
    return int(re.search(r"/orders/(\d+)/", page.url).group(1))


def _ship(page: Page, order_pk: int) -> None:
    page.goto("/")
    page.get_by_role("link", name="Outbound queue").click()
    expect(page.get_by_role("link", name=f"Order #{order_pk}")).to_be_visible()
    assert_accessible(page, "the outbound queue")
    page.get_by_role("button", name="Accept").click()
    expect_message(page, "Order accepted")
    page.get_by_role("button", name="Mark as picked").click()
    expect_message(page, "Marked as picked")
    page.get_by_role("link", name="Pick list").click()
    expect(page.get_by_role("heading", name=f"Pick list — order #{order_pk}")).to_be_visible()
    expect(page.get_by_role("cell", name="LAMP-DESK", exact=True)).to_be_visible()
    shot(page, JOURNEY, "06-pick-list")
    page.go_back()
    page.get_by_text("Ship…").click()
    page.get_by_label("Carrier").fill("DHL Parcel")
    page.get_by_label("Tracking number").fill("JVGL0600123456789012")
    shot(page, JOURNEY, "07-ship")
    page.get_by_role("button", name="Ship the order").click()
    expect_message(page, "Shipped")
    expect(page.get_by_text("No open orders")).to_be_visible()


def test_goods_are_imported_received_ordered_and_shipped(new_context):
    p = Parties(capacity=50)
    lease = p.lease_in(LeaseState.FUNDED)
    exporter = new_context().new_page()
    owner = new_context().new_page()

    _sign_in(exporter, p.exporter.email)
    _import_products(exporter)
    _announce(exporter, lease.pk)
    shipment = lease.shipments.get()
    leasing.shipment_mark(shipment=shipment, by=p.owner, status="arrived")

    _sign_in(owner, p.owner.email)
    _check_in(owner, lease.pk)
    floor = StockLevel.objects.get(lease=lease, product__sku="LAMP-FLOOR")
    assert floor.on_hand == 9  # 11 received, 2 of them damaged and written off
    assert StockMovement.objects.filter(lease=lease, kind=MovementKind.DAMAGED).get().quantity == -2

    order_pk = _order_out(exporter)
    _ship(owner, order_pk)
    order = OutboundOrder.objects.get(pk=order_pk)
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "JVGL0600123456789012")

    exporter.get_by_role("link", name="Outbound orders").first.click()
    expect(exporter.get_by_text("JVGL0600123456789012")).to_be_visible()
    exporter.get_by_role("link", name=f"Order #{order_pk}").click()
    expect(exporter.get_by_test_id("tracking")).to_have_text("JVGL0600123456789012")
    expect(exporter.get_by_text("Shipped").first).to_be_visible()
    shot(exporter, JOURNEY, "08-order-shipped")
    exporter.get_by_role("link", name="Stock", exact=True).first.click()
    desk = exporter.get_by_role("row").filter(has=exporter.get_by_role("link", name="LAMP-DESK"))
    expect(desk.get_by_role("cell").nth(3)).to_have_text("20")  # on hand: 30 in, 10 shipped
    expect(exporter.get_by_text("Shipped out").first).to_be_visible()
    shot(exporter, JOURNEY, "09-stock-after")
