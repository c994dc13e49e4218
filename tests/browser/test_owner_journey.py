"""Journey 1, the warehouse owner, in a real browser: sign up → verify the email → create the
organisation → submit it for verification → a warehouse and a listing with photos → the occupancy
calendar fills as leases arrive → accept a request → record the arrival and a check-in with a
short count → get paid. The exporter's side is played through the services (tests/leasing)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from escrow.choices import PayoutStatus
from leasing import services as leasing
from leasing.choices import LeaseState
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.trust.factories import staff_user
from tests.warehouses.factories import days_from_now
from trust import services as trust
from trust.models import VerificationRequest
from warehouses.models import Listing

from .helpers import accept_dialog, assert_accessible, expect_message, link_in_last_email, png, shot

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEY = "owner"
EMAIL = "ines@harbour-storage.test"
PASSWORD = "a-long-unusual-pass"


def _sign_up_and_verify_email(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Get started").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    shot(page, JOURNEY, "01-sign-up")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    page.goto(link_in_last_email(EMAIL, r"/accounts/confirm-email/\S+/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Create your organisation")).to_be_visible()


def _create_organisation(page: Page) -> None:
    page.get_by_label("Organisation name").fill("Harbour Storage")
    page.get_by_label("We own or operate warehouses").check()
    page.get_by_label("Country").select_option("NL")
    shot(page, JOURNEY, "02-organisation")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", name="Owner dashboard")).to_be_visible()
    shot(page, JOURNEY, "03-owner-dashboard-empty")


def _submit_verification(page: Page) -> None:
    page.locator("header summary", has_text="Harbour Storage").click()  # the account menu
    page.get_by_role("link", name="Verify your organisation").click()
    page.get_by_label("Legal name").fill("Harbour Storage B.V.")
    page.get_by_label("Registration number").fill("KVK-87654321")
    page.get_by_label("Country of registration").select_option("NL")
    page.get_by_label("Registered address").fill("Waalhaven Zuidzijde 1\n3089 JH Rotterdam")
    page.get_by_label("Documents").set_input_files(
        [{"name": "register-extract.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Waiting for review").first).to_be_visible()
    shot(page, JOURNEY, "04-verification-submitted")


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _add_warehouse_with_photos(page: Page) -> None:
    page.get_by_role("link", name="Warehouses", exact=True).click()
    page.get_by_role("button", name="Add a warehouse").first.click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Waalhaven DC")
    page.get_by_label("Address").fill("Waalhaven Zuidzijde 1")
    page.get_by_label("City").fill("Rotterdam")
    page.get_by_label("Country").select_option("NL")
    page.get_by_label("Latitude").fill("51.885")
    page.get_by_label("Longitude").fill("4.425")
    page.get_by_label("Nearest port").select_option("NLRTM")
    page.get_by_label("Time zone").select_option("Europe/Amsterdam")
    page.get_by_label("Racking").check()
    page.get_by_label("CCTV").check()
    page.get_by_label("Opening hours").fill("Mon–Fri 07:00–19:00")
    page.get_by_role("button", name="Add warehouse").click()
    expect_message(page, "Waalhaven DC is added")

    photos = page.get_by_role("region", name="Photos")
    for caption, colour in (("Loading dock", "steelblue"), ("Racking, aisle 3", "orange")):
        photos.locator("input[type=file]").set_input_files(png(f"{colour}.png", colour))
        photos.get_by_label("Caption").fill(caption)
        with page.expect_request(lambda r: r.method == "POST" and r.resource_type == "xhr"):
            page.get_by_role("button", name="Upload photo").click()  # sent with progress (upload-progress.js)
        expect_message(page, "Photo added.")
        expect(page.get_by_role("img", name=caption)).to_be_visible()
    shot(page, JOURNEY, "05-warehouse-with-photos")


def _add_listing(page: Page) -> Listing:
    page.get_by_role("button", name="Add a listing").first.click()
    page.get_by_label("Title").fill("Pallet positions by the Waalhaven")
    page.get_by_label("Capacity").fill("20")
    page.get_by_label("Price per unit per day").fill("1.20")
    page.get_by_label("Handling in fee").fill("4.00")
    page.get_by_label("Handling out fee").fill("4.00")
    page.get_by_label("Minimum lease (days)").fill("5")
    page.get_by_role("button", name="Save draft").click()
    expect_message(page, "is saved as a draft")
    page.get_by_role("button", name="Publish").click()
    expect_message(page, "is published")
    return Listing.objects.get(title="Pallet positions by the Waalhaven")


def _expect_reserved(page: Page, day, reserved: int, capacity: int) -> None:
    label = f"{day:%A} {day.day} {day:%B}: {reserved} of {capacity} reserved"
    expect(page.get_by_role("table").filter(has_text="Reserved and total units")).to_contain_text(label)


def _connect_payout_account(page: Page) -> None:
    page.goto("/escrow/payout-account/")
    page.get_by_label("Account holder name").fill("Harbour Storage B.V.")
    page.get_by_label("IBAN").fill("NL91ABNA0417164300")
    page.get_by_role("button", name="Connect the account").click()
    expect(page.get_by_text("Ready for payouts")).to_be_visible()


def test_owner_lists_space_fills_it_checks_goods_in_and_is_paid(new_context):
    page = new_context().new_page()
    _sign_up_and_verify_email(page)
    _create_organisation(page)
    _submit_verification(page)

    # Staff approve the verification (journey 3 does this in the browser); money may move now.
    verification = VerificationRequest.objects.get(organisation__name="Harbour Storage")
    trust.verification_approve(verification=verification, by=staff_user())

    _connect_payout_account(page)
    _add_warehouse_with_photos(page)
    listing = _add_listing(page)
    start, end = days_from_now(3), days_from_now(12)
    month = f"{start:%Y-%m}"
    calendar = f"/owner/listings/{listing.pk}/calendar/?month={month}"
    page.goto(calendar)
    _expect_reserved(page, start, 0, 20)
    assert_accessible(page, "the occupancy calendar")

    # Leases arrive: two exporters ask for space; the calendar fills.
    exporter_org = ExporterOrganisationFactory(name="Shenzhen Garden Co.")
    exporter = member_of(exporter_org)
    lease = leasing.lease_request(
        listing=listing,
        exporter=exporter_org,
        by=exporter,
        start=start,
        end=end,
        quantity=6,
        goods_description="Garden furniture, flat-packed",
        message="Arriving by sea from Yantian",
    )
    page.reload()
    _expect_reserved(page, start, 6, 20)
    other_org = ExporterOrganisationFactory(name="Ningbo Lamps Ltd")
    other = leasing.lease_request(
        listing=listing,
        exporter=other_org,
        by=member_of(other_org),
        start=start,
        end=end,
        quantity=4,
        goods_description="Desk lamps",
        message="",
    )
    page.reload()
    _expect_reserved(page, start, 10, 20)
    shot(page, JOURNEY, "06-occupancy-calendar")

    # The owner is told (email and in-app) and accepts the first request.
    assert any("New lease request" in m.subject and EMAIL in m.to for m in mail.outbox)
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_role("heading", name=f"New lease request — lease #{lease.pk}")).to_be_visible()
    shot(page, JOURNEY, "07-notifications")
    page.get_by_role("link", name="Owner dashboard").click()
    expect(page.get_by_role("heading", name="Owner dashboard")).to_be_visible()
    shot(page, JOURNEY, "08-owner-dashboard-requests")
    # Declining asks first; saying no to the dialog changes nothing.
    page.goto(f"/leases/{other.pk}/")
    page.get_by_role("button", name="Decline…").click()
    page.get_by_label("Why do you decline?").fill("Those dates are promised to a regular customer.")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Decline the request").click()
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    other.refresh_from_db()
    assert other.state == LeaseState.REQUESTED
    accept_dialog(page, "Decline the request from Ningbo Lamps Ltd?")
    page.get_by_role("button", name="Decline the request").click()
    expect_message(page, "Declined.")
    page.goto(calendar)
    _expect_reserved(page, start, 6, 20)

    page.goto(f"/leases/{lease.pk}/")
    page.get_by_role("button", name="Accept").click()
    expect_message(page, "Accepted.")
    assert_accessible(page, "the lease page (owner)")

    # The exporter pays and announces the shipment.
    lease.refresh_from_db()
    leasing.lease_pay(lease=lease, by=exporter, payment_method="pm_card_visa")
    shipment = leasing.shipment_announce(
        lease=lease,
        by=exporter,
        carrier="Maersk",
        tracking_number="MSKU7654321",
        eta=start,
        lines=[
            leasing.DeclaredLine(description="Folding chairs", quantity=40, sku="CH-1"),
            leasing.DeclaredLine(description="Garden tables", quantity=10, sku="TB-1"),
        ],
        customs_reference="",
    )

    # The goods arrive: the owner records it and checks them in, two chairs short.
    page.reload()
    page.get_by_role("button", name="Mark in transit").click()
    expect_message(page, "MSKU7654321 updated")
    page.get_by_role("button", name="Mark arrived").click()
    expect_message(page, "MSKU7654321 updated")
    page.get_by_role("button", name="Check in goods").click()
    page.get_by_label("Received: Folding chairs").fill("38")
    page.get_by_label("Received: Garden tables").fill("10")
    page.get_by_label("Notes").fill("Two chairs missing from carton 4.")
    page.get_by_label("Photos").set_input_files(png("carton.png", "peru"))
    shot(page, JOURNEY, "09-check-in")
    page.get_by_role("button", name="Record the check-in").click()
    expect_message(page, "Checked in.")
    expect(page.get_by_text("Outside the 2% tolerance")).to_be_visible()
    shipment.refresh_from_db()
    assert shipment.checkin.received_total == 48

    # The exporter confirms; escrow is released and the owner is paid.
    leasing.lease_confirm(lease=lease, by=exporter)
    page.reload()
    payouts = page.get_by_role("table", name="Payouts to the owner")
    expect(payouts).to_contain_text("Paid")
    lease.refresh_from_db()
    assert lease.state == LeaseState.ACTIVE
    assert lease.escrow.payouts.get().status == PayoutStatus.PAID
    shot(page, JOURNEY, "10-paid")
    assert Lease.objects.filter(listing=listing).count() == 2
