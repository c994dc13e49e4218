"""Journey 3, the platform admin, in a real browser: sign in with MFA (TOTP) → approve a
verification → resolve a dispute with a split → blacklist an organisation and see its listings
leave search. The organisations, the lease and the dispute come from the factories and services."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.choices import VerificationStatus
from escrow.choices import PayoutStatus
from tests.accounts.factories import PASSWORD, OwnerOrganisationFactory
from tests.leasing.factories import Parties
from tests.trust.factories import (
    TOTP_SECRET,
    disputed,
    staff_user,
    unverified_organisation,
    verification_submitted,
)
from tests.warehouses.factories import ListingFactory, WarehouseFactory
from trust.choices import DisputeState, Outcome
from trust.models import BlacklistEntry

from .helpers import accept_dialog, assert_accessible, expect_message, shot, sign_in, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEY = "admin"


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    # A code typed at the very end of its 30 seconds is still accepted, as a person's would be.
    settings.MFA_TOTP_TOLERANCE = 1


def _sign_in_with_mfa(page: Page, email: str) -> None:
    page.goto("/staff/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    shot(page, JOURNEY, "01-two-factor")
    code.fill(totp_code(TOTP_SECRET))
    page.get_by_role("button", name=re.compile("Sign In|Authenticate", re.I)).click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()


def _search_near_rotterdam(page: Page) -> None:
    page.goto("/search/?port=NLRTM&radius=100")
    expect(page.get_by_role("heading", name="Find warehouse space")).to_be_visible()


def test_admin_verifies_resolves_a_split_and_blacklists(new_context):
    staff = staff_user()
    applicant, admin = unverified_organisation(name="Yantian Exports Ltd", is_owner=False, is_exporter=True)
    verification_submitted(applicant, admin)
    parties = Parties(capacity=100)
    dispute = disputed(parties, claimed=Decimal("40.00"))
    lease = dispute.lease
    held = lease.total
    dodgy = OwnerOrganisationFactory(name="Dodgy Depot")
    dodgy_listing = ListingFactory(
        warehouse=WarehouseFactory(organisation=dodgy, name="Dodgy Depot Botlek"), title="Cheap pallets in Botlek"
    )

    # Before: the listing is found in search.
    visitor = new_context().new_page()
    _search_near_rotterdam(visitor)
    expect(visitor.get_by_role("link", name=dodgy_listing.title)).to_be_visible()

    # The exporter's side of the dispute, as it sees the thread.
    exporter_page = new_context().new_page()
    sign_in(exporter_page, parties.exporter.email, PASSWORD)
    exporter_page.goto(f"/disputes/{dispute.pk}/")
    expect(exporter_page.get_by_role("heading", name=re.compile(f"Dispute #{dispute.pk}"))).to_be_visible()
    assert_accessible(exporter_page, "the dispute page (exporter)")
    shot(exporter_page, JOURNEY, "02-dispute-exporter-side")

    page = new_context().new_page()
    _sign_in_with_mfa(page, staff.email)
    assert_accessible(page, "the staff console")
    shot(page, JOURNEY, "03-console")

    # Approve the verification.
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Verification").click()
    page.get_by_role("row", name=re.compile("Yantian Exports Ltd")).get_by_role("button", name="Review").click()
    assert_accessible(page, "the staff verification page")
    shot(page, JOURNEY, "04-verification")
    page.get_by_role("button", name="Approve and verify Yantian Exports Ltd").click()
    expect_message(page, "Yantian Exports Ltd")
    applicant.refresh_from_db()
    assert applicant.verification_status == VerificationStatus.VERIFIED

    # Resolve the dispute with a split of what escrow holds.
    owner_part = (held * Decimal("0.6")).quantize(Decimal("0.01"))
    exporter_part = held - owner_part
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Disputes").click()
    page.get_by_role("link", name=re.compile(f"#{dispute.pk}\\b")).first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Dispute #{dispute.pk}"))).to_be_visible()
    assert_accessible(page, "the staff dispute page")
    page.get_by_label("Split between owner and exporter").check()
    page.get_by_label(re.compile("^To the owner")).fill(str(owner_part))
    page.get_by_label(re.compile("^To the exporter")).fill(str(exporter_part))
    page.get_by_label(re.compile("^Reasons")).fill("Two cartons missing: the exporter gets their value back.")
    shot(page, JOURNEY, "05-dispute-split")
    accept_dialog(page, "Money moves at once")
    page.get_by_role("button", name="Resolve the dispute").click()
    expect(page.get_by_text("Resolved").first).to_be_visible()
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED
    assert dispute.resolution.outcome == Outcome.SPLIT
    assert lease.escrow.payouts.get().status == PayoutStatus.PAID
    assert sum(refund.amount for refund in lease.escrow.refunds.all()) == exporter_part
    shot(page, JOURNEY, "06-dispute-resolved")

    # Blacklist an organisation: its listing leaves search.
    page.get_by_role("navigation", name="Staff console").get_by_role("link", name="Blacklist").click()
    page.get_by_role("combobox", name="Organisation").select_option(label="Dodgy Depot")
    page.get_by_label("Reason").fill("Took payment for space it did not have.")
    assert_accessible(page, "the blacklist page")
    accept_dialog(page, "Blacklist Dodgy Depot?")
    page.get_by_role("button", name="Blacklist", exact=True).click()
    expect(page.get_by_role("link", name="Dodgy Depot", exact=True)).to_be_visible()
    assert BlacklistEntry.objects.filter(organisation=dodgy).exists()
    shot(page, JOURNEY, "07-blacklist")

    _search_near_rotterdam(visitor)
    expect(visitor.get_by_role("link", name=parties.listing.title)).to_be_visible()
    expect(visitor.get_by_role("link", name=dodgy_listing.title)).to_have_count(0)
    shot(visitor, JOURNEY, "08-search-without-blacklisted")
