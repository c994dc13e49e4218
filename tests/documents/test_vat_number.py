"""The VAT number printed on documents is asked in verification and becomes the organisation's when
staff approve it (optional: an organisation not registered for VAT leaves it empty)."""

import pytest
from django.urls import reverse

from documents import services
from tests.trust.factories import pdf, png, staff_user, unverified_organisation
from trust import services as trust_services
from trust.models import VerificationRequest

pytestmark = pytest.mark.django_db


def test_the_vat_number_given_in_verification_is_the_organisations_once_approved(client):
    organisation, admin = unverified_organisation()
    client.force_login(admin)
    url = reverse("trust:verification")
    assert 'name="vat_number"' in client.get(url).content.decode()
    form = {"legal_name": "X BV", "registration_number": "KVK 1", "country": "NL", "address": "Kade 1"}
    response = client.post(url, {**form, "vat_number": " NL001234567B01 ", "documents": [pdf(), png()]})
    assert response.status_code == 302
    verification = VerificationRequest.objects.get(organisation=organisation)
    assert verification.vat_number == "NL001234567B01"

    trust_services.verification_approve(verification=verification, by=staff_user())
    organisation.refresh_from_db()
    assert organisation.vat_number == "NL001234567B01"
    assert services.party(organisation)["vat_number"] == "NL001234567B01"


def test_the_vat_number_is_optional(client):
    organisation, admin = unverified_organisation()
    client.force_login(admin)
    form = {"legal_name": "X BV", "registration_number": "KVK 1", "country": "NL", "address": "Kade 1"}
    assert client.post(reverse("trust:verification"), {**form, "documents": [pdf()]}).status_code == 302
    assert VerificationRequest.objects.get(organisation=organisation).vat_number == ""
