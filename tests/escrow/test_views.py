"""The payout-account pages: admins connect where the organisation is paid; members only look."""

import pytest
from django.urls import reverse

from accounts.choices import Role
from escrow.models import PayoutAccount
from tests.accounts.factories import ExporterOrganisationFactory, OwnerOrganisationFactory, member_of

pytestmark = pytest.mark.django_db

PAGE = "escrow:payout_account"
VALID_IBAN = "NL91 ABNA 0417 1643 00"


@pytest.fixture
def organisation():
    return OwnerOrganisationFactory()


def test_an_admin_connects_the_simulated_payout_account(client, organisation):
    client.force_login(member_of(organisation))
    assert "No payout account yet" in client.get(reverse(PAGE)).content.decode()

    response = client.post(reverse(PAGE), {"holder_name": "Harbour Storage BV", "iban": VALID_IBAN})

    assert response["Location"] == reverse(PAGE)
    account = PayoutAccount.objects.get(organisation=organisation)
    assert (account.gateway, account.payouts_enabled, account.iban_last4) == ("simulated", True, "4300")
    page = client.get(reverse(PAGE)).content.decode()
    assert "Ready for payouts" in page
    assert "•••• 4300" in page
    assert "Connect a payout account" not in client.get(reverse("leasing:owner_dashboard")).content.decode()


def test_an_invalid_iban_is_a_form_error(client, organisation):
    client.force_login(member_of(organisation))

    response = client.post(reverse(PAGE), {"holder_name": "Harbour Storage BV", "iban": "NL00 BANK 0123 4567 89"})

    assert response.status_code == 200
    assert "not a valid IBAN" in response.content.decode()
    assert not PayoutAccount.objects.exists()


def test_a_member_sees_the_account_but_cannot_change_it(client, organisation):
    client.force_login(member_of(organisation, role=Role.MEMBER))

    page = client.get(reverse(PAGE)).content.decode()
    response = client.post(reverse(PAGE), {"holder_name": "Someone Else", "iban": VALID_IBAN}, follow=True)

    assert "Only organisation admins" in page
    assert 'name="iban"' not in page
    assert "Only organisation admins can change" in response.content.decode()
    assert not PayoutAccount.objects.exists()
    assert client.post(reverse("escrow:payout_account_stripe_start")).status_code == 404


def test_the_processor_onboarding_flow_returns_and_refreshes(client, organisation):
    """The Stripe flow's views, walked with the simulated gateway (whose onboarding link goes
    straight back to the return page)."""
    client.force_login(member_of(organisation))

    response = client.post(reverse("escrow:payout_account_stripe_start"))
    assert response["Location"].endswith(reverse("escrow:payout_account_return"))
    response = client.get(reverse("escrow:payout_account_return"), follow=True)

    assert "ready to receive payouts" in response.content.decode()
    assert PayoutAccount.objects.get(organisation=organisation).payouts_enabled


def test_exporters_have_no_payout_account_page(client):
    client.force_login(member_of(ExporterOrganisationFactory()))

    assert client.get(reverse(PAGE)).status_code == 404


def test_the_owner_dashboard_links_the_payout_account_when_missing(client, organisation):
    client.force_login(member_of(organisation))

    page = client.get(reverse("leasing:owner_dashboard")).content.decode()

    assert "Connect a payout account to be paid" in page
    assert reverse(PAGE) in page
