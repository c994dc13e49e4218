"""Journey 2, the exporter, in a real browser: search by port + radius + dates + quantity →
compare the results → request → pay into escrow (simulated gateway) → announce the shipment →
confirm the check-in → later transfer the rest of the lease to another exporter. The owners' and
the receiver's sides are played through the factories and services."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from escrow.choices import PayoutStatus
from leasing import services as leasing
from leasing import transfers as leasing_transfers
from leasing.choices import LeaseState
from leasing.models import Lease
from tests.accounts.factories import PASSWORD, ExporterOrganisationFactory, OwnerOrganisationFactory, member_of
from tests.escrow.factories import PayoutAccountFactory
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now

from .helpers import accept_dialog, assert_accessible, expect_message, shot

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEY = "exporter"


def _owner_listing(*, name: str, city: str, lat: float, lon: float, price: str, capacity: int = 40):
    owner_org = OwnerOrganisationFactory(name=f"{name} B.V.")
    PayoutAccountFactory(organisation=owner_org)
    warehouse = WarehouseFactory(
        organisation=owner_org, name=name, city=city, latitude=lat, longitude=lon, racking=True, cctv=True
    )
    listing = ListingFactory(
        warehouse=warehouse,
        title=f"Pallet positions at {name}",
        capacity=capacity,
        price_per_unit_day=Decimal(price),
    )
    return listing, member_of(owner_org)


def _search(page: Page, start, end) -> None:
    page.goto("/")
    assert_accessible(page, "the landing page")
    shot(page, JOURNEY, "01-landing")
    page.get_by_role("link", name="Find space").click()
    page.get_by_label("Near port (UN/LOCODE)").fill("NLRTM")
    page.get_by_label("Radius (km)").fill("60")
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_label("Until").fill(end.isoformat())
    page.get_by_label("Units needed").fill("8")
    page.get_by_label("Sort by").select_option("price")
    page.get_by_role("button", name="Search").click()


def test_exporter_finds_books_pays_ships_and_confirms(new_context):
    # 60 days: released month by month, so after the first month the rest is still in escrow to hand on.
    start, end = days_from_now(5), days_from_now(64)
    _owner_listing(name="Maasvlakte Hub", city="Rotterdam", lat=51.95, lon=4.05, price="1.10")
    dear, owner = _owner_listing(name="Waalhaven DC", city="Rotterdam", lat=51.885, lon=4.425, price="1.60")
    _owner_listing(name="Hamburg Süd", city="Hamburg", lat=53.55, lon=9.99, price="0.80")  # out of the radius
    full, _ = _owner_listing(name="Botlek Store", city="Rotterdam", lat=51.87, lon=4.3, price="0.90", capacity=5)
    exporter_org = ExporterOrganisationFactory(name="Shenzhen Garden Co.")
    exporter = member_of(exporter_org)

    page = new_context().new_page()
    _search(page, start, end)

    # Compare: both listings in the radius with 8 units free, cheapest total first, all-in prices.
    results = page.locator("article.result")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text("Maasvlakte Hub")
    expect(results.nth(1)).to_contain_text("Waalhaven DC")
    expect(results.nth(0)).to_contain_text("8 pallet positions × 60 days, all in")
    expect(page.get_by_text("Hamburg Süd")).to_have_count(0)
    expect(page.get_by_text(full.title)).to_have_count(0)
    assert_accessible(page, "the search results")
    shot(page, JOURNEY, "02-search-results")

    # Sign in from the listing, request the dearer one (its racking is nearer the buyer).
    results.nth(1).get_by_role("link", name=dear.title).click()
    expect(page.get_by_role("table", name="Price breakdown")).to_be_visible()
    assert_accessible(page, "the listing page")
    shot(page, JOURNEY, "03-listing")
    page.get_by_role("button", name="Sign in to request").click()
    page.get_by_label("Email").fill(exporter.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Request this space")).to_be_visible()
    expect(page.get_by_label("Units")).to_have_value("8")
    page.get_by_label("What will you store?").fill("Garden furniture, flat-packed, 40 cartons")
    page.get_by_label("Message to the owner").fill("Arriving by sea from Yantian.")
    shot(page, JOURNEY, "04-request")
    page.get_by_role("button", name="Send request").click()
    expect_message(page, "Request sent to Waalhaven DC B.V.")
    lease = Lease.objects.get(exporter=exporter_org)
    assert (lease.listing, lease.quantity, lease.start, lease.end) == (dear, 8, start, end)

    # The owner accepts; the exporter pays into escrow with the simulated gateway.
    leasing.lease_accept(lease=lease, by=owner)
    page.reload()
    page.get_by_role("button", name="Pay into escrow").click()
    expect(page.get_by_role("heading", name="Pay into escrow")).to_be_visible()
    expect(page.get_by_label("Visa •••• 4242 (succeeds)")).to_be_checked()
    assert_accessible(page, "the checkout")
    shot(page, JOURNEY, "05-checkout")
    accept_dialog(page, "into escrow for lease")
    page.get_by_role("button", name=re.compile(r"^Pay .* into escrow$")).click()
    expect_message(page, "into escrow. The owner is paid only after you confirm.")
    lease.refresh_from_db()
    assert lease.state == LeaseState.FUNDED

    # Announce the shipment.
    page.get_by_role("button", name="Announce a shipment").click()
    page.get_by_label("Carrier").fill("Maersk")
    page.get_by_label("Tracking number").fill("MSKU1234567")
    page.get_by_label("Estimated arrival").fill(start.isoformat())
    page.get_by_label("Description, line 1").fill("Folding chairs")
    page.get_by_label("Quantity, line 1").fill("40")
    page.get_by_label("Description, line 2").fill("Garden tables")
    page.get_by_label("Quantity, line 2").fill("10")
    shot(page, JOURNEY, "06-announce-shipment")
    page.get_by_role("button", name="Announce the shipment").click()
    expect_message(page, "Shipment announced.")

    # The owner records the arrival and checks the goods in, all present.
    shipment = lease.shipments.get()
    leasing.shipment_mark(shipment=shipment, by=owner, status="in_transit")
    leasing.shipment_mark(shipment=shipment, by=owner, status="arrived")
    leasing.checkin_record(
        shipment=shipment, by=owner, received={line.pk: line.quantity for line in shipment.lines.all()}
    )

    # The exporter sees the counts and confirms: escrow is released to the owner.
    page.reload()
    expect(page.get_by_text("Within the 2% tolerance")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Checked in")
    assert_accessible(page, "the lease page (exporter)")
    shot(page, JOURNEY, "07-checked-in")
    accept_dialog(page, "releases the payment to the owner")
    page.get_by_role("button", name="Confirm the check-in").click()
    expect_message(page, "Confirmed.")
    lease.refresh_from_db()
    assert lease.state == LeaseState.ACTIVE
    assert lease.escrow.payouts.get().status == PayoutStatus.PAID
    shot(page, JOURNEY, "08-confirmed")

    # Later the exporter hands the rest of the lease on (from its first day: the month already paid
    # out to the owner is paid back from the receiver's price) to another exporter; the receiver
    # accepts, the owner consents and the receiver pays (services).
    receiver_org = ExporterOrganisationFactory(name="Lisbon Outdoor Lda.")
    receiver = member_of(receiver_org)
    page.get_by_role("button", name="Offer a transfer…").click()
    expect(page.get_by_role("heading", name=f"Transfer lease #{lease.pk}")).to_be_visible()
    page.get_by_label("Offer to").select_option(label=str(receiver_org))
    expect(page.get_by_label("Units")).to_have_value("8")
    first_day = leasing_transfers.transfer_earliest(lease)
    expect(page.get_by_label("From")).to_have_value(first_day.isoformat())
    expect(page.get_by_role("region", name="What you get back")).to_contain_text("Transfer fee (2%)")
    expect(page.get_by_role("region", name="What you get back")).to_contain_text("Days already paid out")
    assert_accessible(page, "the transfer offer")
    shot(page, JOURNEY, "09-transfer-offer")
    page.get_by_role("button", name="Review the offer").click()
    expect(page.get_by_role("heading", name="Offer this transfer?")).to_be_visible()
    shot(page, JOURNEY, "10-transfer-confirm")
    page.get_by_role("button", name="Offer the transfer").click()
    transfer = lease.transfers.get()
    assert (transfer.to_organisation, transfer.quantity, transfer.start) == (receiver_org, 8, first_day)
    transfer = leasing_transfers.transfer_accept(transfer=transfer, by=receiver, organisation=receiver_org)
    transfer = leasing_transfers.transfer_consent(transfer=transfer, by=owner, approve=True)
    leasing.lease_pay(lease=transfer.new_lease, by=receiver, payment_method="pm_card_visa")
    page.goto(f"/leases/{lease.pk}/")
    expect(page.get_by_text("Transferred", exact=True).first).to_be_visible()
    lease.refresh_from_db()
    assert lease.state == LeaseState.TRANSFERRED
    assert lease.escrow.refunds.get().amount == lease.transfers.get().refund
    shot(page, JOURNEY, "11-transferred")

    page.get_by_role("link", name="Exporter dashboard").click()
    expect(page.get_by_role("heading", name=re.compile("Exporter dashboard|Your leases"))).to_be_visible()
    shot(page, JOURNEY, "09-dashboard")
