"""Acceptance 2, the API leg: unverified and blacklisted organisations are refused through the API
too (the API calls the same services), with the error's code, and nothing is written."""

import pytest

from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

from .test_blocks import BLOCKS, block

pytestmark = pytest.mark.django_db

CODES = {"unverified": "organisation_not_verified", "blacklisted": "blacklisted"}


def lease_body(p: Parties) -> dict:
    return {
        "listing": p.listing.pk,
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": 2,
        "goods_description": "Garden chairs",
    }


@pytest.mark.parametrize("how", BLOCKS)
def test_a_blocked_exporter_cannot_request_through_the_api(how):
    p = Parties(capacity=100)
    api = client_with(key_for(p.exporter_org, user=p.exporter))
    block(p.exporter_org, how)

    response = api.post("/api/v1/leases/", lease_body(p), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == CODES[how]
    assert not Lease.objects.exists()


@pytest.mark.parametrize("how", BLOCKS)
def test_a_blocked_owner_cannot_accept_through_the_api(how):
    p = Parties(capacity=100)
    lease = p.request()
    api = client_with(key_for(p.owner_org, user=p.owner))
    block(p.owner_org, how)

    response = api.post(f"/api/v1/leases/{lease.pk}/accept/")

    assert response.status_code == 403
    assert response.json()["code"] == CODES[how]
    lease.refresh_from_db()
    assert lease.state == S.REQUESTED


@pytest.mark.parametrize("how", BLOCKS)
def test_a_blocked_exporter_cannot_pay_through_the_api(how):
    p = Parties(capacity=100)
    lease = p.lease_in(S.ACCEPTED)
    api = client_with(key_for(p.exporter_org, user=p.exporter))
    block(p.exporter_org, how)

    response = api.post(f"/api/v1/leases/{lease.pk}/pay/", {"payment_method": "pm_card_visa"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == CODES[how]
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED


def test_a_blacklisted_owners_listings_leave_the_api_search_too():
    p = Parties(capacity=100)
    api = client_with()

    def found() -> list[int]:
        response = api.get("/api/v1/search/")
        assert response.status_code == 200
        return [result["listing"]["id"] for result in response.json()["results"]]

    assert p.listing.pk in found()
    block(p.owner_org, "blacklisted")
    assert p.listing.pk not in found()
