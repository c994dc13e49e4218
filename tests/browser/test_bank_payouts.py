"""Payouts abroad, in a real browser: an owner in a country Stripe cannot pay picks it on the payout
page, is told so and chooses the bank rail; its released payout waits in the staff queue; staff
(with MFA) record the bank's reference; the owner sees it paid. Screenshots under
var/test-artifacts/browser/bank-payouts/."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from escrow.choices import PayoutStatus
from escrow.models import Payout, PayoutAccount
from escrow.processor import payout_execute
from leasing.choices import LeaseState as S
from tests.accounts.factories import PASSWORD
from tests.leasing.factories import Parties
from tests.trust.factories import TOTP_SECRET, staff_user

from .helpers import accept_dialog, assert_accessible, expect_message, shot, sign_in, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEY = "bank-payouts"


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    settings.MFA_TOTP_TOLERANCE = 1


def test_an_owner_abroad_is_paid_by_bank_transfer(new_context):
    p = Parties()
    page: Page = new_context().new_page()

    sign_in(page, p.owner.email, PASSWORD)
    page.goto("/escrow/payout-account/")
    page.get_by_label("Country you are paid in").select_option("CN")
    page.get_by_role("button", name="Check this country").click()
    expect(page.get_by_text("Stripe cannot pay out to accounts in China")).to_be_visible()
    page.get_by_label("Account holder name").fill("Shenzhen Storage Co.")
    page.get_by_label("IBAN or account number").fill("6222 0212 3456 7890")
    page.get_by_label("SWIFT/BIC").fill("ICBKCNBJSZN")
    page.get_by_label("Country of the bank").select_option("CN")
    shot(page, JOURNEY, "01-owner-chooses-bank-transfer")
    assert_accessible(page, "the payout page offering a bank transfer")
    page.get_by_role("button", name="Be paid by bank transfer").click()
    expect_message(page, "by bank transfer to the account ending 7890")
    assert PayoutAccount.objects.get(organisation=p.owner_org).rail == "bank_transfer"

    lease = p.lease_in(S.CHECKED_IN)
    p.confirm(lease)
    payout = payout_execute(payout=Payout.objects.get(escrow__lease=lease))
    assert payout.status == PayoutStatus.QUEUED
    page.reload()
    expect(page.get_by_text("Queued for bank transfer")).to_be_visible()

    staff = staff_user()
    staff_page = new_context().new_page()
    staff_page.goto("/staff/")
    staff_page.get_by_label("Email").fill(staff.email)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("button", name="Sign In").click()
    staff_page.get_by_label("Code").fill(totp_code(TOTP_SECRET))
    staff_page.get_by_role("button", name=re.compile("Sign In|Authenticate", re.I)).click()
    expect(staff_page.get_by_role("heading", name="Staff console")).to_be_visible()
    staff_page.get_by_role("link", name="Bank payouts").click()
    expect(staff_page.get_by_text("6222021234567890")).to_be_visible()
    staff_page.get_by_label("Bank reference").fill("ICBC-2026-0042")
    shot(staff_page, JOURNEY, "02-staff-queue")
    assert_accessible(staff_page, "the staff bank payout queue")
    accept_dialog(staff_page, "Record this transfer as sent?")
    staff_page.get_by_role("button", name="Record the transfer").click()
    expect_message(staff_page, "sent with reference ICBC-2026-0042")
    payout.refresh_from_db()
    assert (payout.status, payout.bank_transferred_on) == (PayoutStatus.PAID, timezone.localdate())

    page.reload()
    expect(page.get_by_text("ICBC-2026-0042")).to_be_visible()
    shot(page, JOURNEY, "03-owner-sees-it-paid")
