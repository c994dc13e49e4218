"""Every inventory list page (and the staff console's) runs the same number of queries for one row
as for several: more products, SKUs, warehouses, movements and orders cost no extra query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escrow.services import payout_account_connect_simulated
from inventory import services
from inventory.models import Product
from leasing import services as leasing
from leasing.choices import LeaseState
from leasing.demo import LeaseWalker
from leasing.models import Lease
from tests.accounts.factories import OwnerOrganisationFactory, member_of
from tests.leasing.factories import Parties
from tests.trust.factories import staff_user
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now

from .factories import product

pytestmark = pytest.mark.django_db

CONSIGNEE = {
    "consignee_name": "Jansen Retail",
    "consignee_address": "Kade 1",
    "consignee_city": "Utrecht",
    "consignee_country": "NL",
    "consignee_phone": "+31 30 000 0000",
}


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def received(p: Parties, lease: Lease, skus: list[str], *, owner=None) -> Lease:
    """Announce and check in one line per SKU (12 units each) on a funded ``lease``."""
    shipment = leasing.shipment_announce(
        lease=lease,
        by=p.exporter,
        carrier="Maersk",
        tracking_number=f"MSKU{lease.pk:07d}",
        eta=lease.start,
        lines=[leasing.DeclaredLine(description=f"Goods {sku}", quantity=12, sku=sku) for sku in skus],
        customs_reference="MRN-1",
    )
    leasing.shipment_mark(shipment=shipment, by=owner or p.owner, status="arrived")
    lines = {line.pk: line.quantity for line in shipment.lines.all()}
    leasing.checkin_record(shipment=shipment, by=owner or p.owner, received=lines)
    return lease


def lease_elsewhere(p: Parties) -> tuple[Lease, object]:
    """A funded lease of ``p``'s exporter at another owner's warehouse; and that owner's user."""
    owner_org = OwnerOrganisationFactory()
    payout_account_connect_simulated(organisation=owner_org, holder_name="Other BV", iban="NL00BANK0123456780")
    listing = ListingFactory(warehouse=WarehouseFactory(organisation=owner_org), capacity=100)
    owner = member_of(owner_org)
    lease = leasing.lease_request(
        listing=listing,
        exporter=p.exporter_org,
        by=p.exporter,
        start=days_from_now(3),
        end=days_from_now(12),
        quantity=2,
        goods_description="Lamps",
        message="",
    )
    LeaseWalker(owner=owner, exporter=p.exporter).walk(lease, LeaseState.FUNDED)
    return lease, owner


def order(p: Parties, lease: Lease, sku: str, units: int = 2, *, owner=None, step: str = ""):
    made = services.order_create(
        lease=lease, by=p.exporter, kind="ship", lines=[(product(lease, sku), units)], reference="PO", **CONSIGNEE
    )
    if step in ("accept", "ship"):
        services.order_accept(order=made, by=owner or p.owner)
    if step == "ship":
        services.order_pick(order=made, by=owner or p.owner)
        services.order_ship(order=made, by=owner or p.owner, carrier="DHL", tracking_number=f"T{made.pk}")
    return made


EXPORTER_PAGES = ["product_list", "stock", "stock_warehouse", "stock_filtered", "product_stock", "order_list"]
LEASE_PAGES = ["lease", "lease_stock"]


def urls(sku: Product, lease: Lease) -> dict[str, str]:
    return {
        "product_list": reverse("inventory:product_list"),
        "stock": reverse("inventory:stock"),
        "stock_warehouse": reverse("inventory:stock") + "?view=warehouse",
        "stock_filtered": reverse("inventory:stock") + f"?view=warehouse&q=-&warehouse={lease.listing.warehouse_id}",
        "product_stock": reverse("inventory:product_stock", args=[sku.pk]),
        "order_list": reverse("inventory:order_list"),
        "queue": reverse("inventory:outbound_queue"),
    }


def lease_urls(lease: Lease) -> dict[str, str]:
    return {
        "lease": reverse("leasing:lease_detail", args=[lease.pk]),
        "lease_stock": reverse("inventory:lease_stock", args=[lease.pk]),
    }


def test_list_pages_cost_the_same_for_one_row_or_several(client, p):
    lease = received(p, p.lease_in(LeaseState.FUNDED), ["A-1"])
    sku = product(lease, "A-1")
    order(p, lease, "A-1")
    pages = urls(sku, lease)
    client.force_login(p.exporter)
    count(client, pages["product_list"])  # warm the session
    one = {name: count(client, pages[name]) for name in EXPORTER_PAGES}
    one_lease = {name: count(client, url) for name, url in lease_urls(lease).items()}
    client.force_login(p.owner)
    count(client, pages["queue"])
    owner_one = {name: count(client, url) for name, url in {"queue": pages["queue"], **lease_urls(lease)}.items()}

    # Several: a lease with three SKUs, another with two, one at another owner's warehouse; more
    # products; orders in several states; movements of several kinds on A-1.
    busy = received(p, p.lease_in(LeaseState.FUNDED), ["A-1", "B-2", "C-3"])
    more = received(p, p.lease_in(LeaseState.FUNDED), ["A-1", "D-4"])
    elsewhere, other_owner = lease_elsewhere(p)
    received(p, elsewhere, ["A-1", "E-5"], owner=other_owner)
    for index in range(5):
        services.product_create(organisation=p.exporter_org, by=p.exporter, sku=f"NEW-{index}", description="x")
    order(p, busy, "A-1")
    order(p, busy, "B-2", step="accept")
    order(p, busy, "C-3", step="ship")
    order(p, more, "D-4", step="accept")
    order(p, elsewhere, "E-5", owner=other_owner, step="ship")
    services.stock_adjust(lease=busy, product=sku, by=p.owner, kind="lost", quantity=1, reason="Missing")

    client.force_login(p.exporter)
    several = {name: count(client, pages[name]) for name in EXPORTER_PAGES}
    several_lease = {name: count(client, url) for name, url in lease_urls(busy).items()}
    client.force_login(p.owner)
    owner_several = {name: count(client, url) for name, url in {"queue": pages["queue"], **lease_urls(busy)}.items()}

    assert one == several
    assert one_lease == several_lease
    assert owner_one == owner_several
    client.force_login(p.exporter)
    assert len(client.get(pages["stock"]).context["rows"]) == 5  # A-1 … E-5; the new products have no stock
    assert client.get(pages["order_list"]).context["orders"].paginator.count == 6
    client.force_login(p.owner)
    assert client.get(pages["queue"]).context["orders"].paginator.count == 4  # the open ones at p's warehouse


def test_staff_pages_cost_the_same_for_one_row_or_several(client, p):
    lease = received(p, p.lease_in(LeaseState.FUNDED), ["A-1"])
    order(p, lease, "A-1")
    client.force_login(staff_user())
    stock, orders = reverse("staff_inventory:stock"), reverse("staff_inventory:orders")
    count(client, stock)
    one = (count(client, stock), count(client, orders), count(client, orders + "?status=requested"))

    other = Parties(capacity=100)
    busy = received(other, other.lease_in(LeaseState.FUNDED), ["X-1", "X-2", "X-3"])
    order(other, busy, "X-1", step="ship")
    order(other, busy, "X-2", step="accept")
    order(p, lease, "A-1")
    several = (count(client, stock), count(client, orders), count(client, orders + "?status=requested"))

    assert one == several
    assert len(client.get(stock).context["levels"]) == 4


@pytest.mark.parametrize("who", ["exporter", "owner", "anonymous"])
def test_staff_pages_are_for_staff(client, p, who):
    if who != "anonymous":
        client.force_login(p.exporter if who == "exporter" else p.owner)
    for name in ("stock", "orders"):
        response = client.get(reverse(f"staff_inventory:{name}"))
        assert response.status_code == (302 if who == "anonymous" else 404)
    client.force_login(staff_user(mfa=False))
    assert client.get(reverse("staff_inventory:stock"))["Location"] == reverse("mfa_activate_totp")
