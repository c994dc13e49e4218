"""Disputes through the API (issue 19): the side is the API key's organisation, not whatever the
key's creator belongs to; the body carries the kind and the claimed amount, like the page's form."""

from decimal import Decimal

import pytest

from escrow import ledger
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.accounts.factories import MembershipFactory
from tests.api.conftest import client_with, key_for
from trust.choices import DisputeKind
from trust.models import Dispute

pytestmark = pytest.mark.django_db


def dispute_path(lease: Lease) -> str:
    return f"/api/v1/leases/{lease.pk}/dispute/"


def test_the_exporter_disputes_the_check_in_with_a_claimed_amount(p):
    lease = p.lease_in(S.CHECKED_IN)
    api = client_with(key_for(p.exporter_org, user=p.exporter))

    response = api.post(
        dispute_path(lease), {"reason": "Two cartons missing", "claimed_amount": "20.00"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["state"] == S.DISPUTED
    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.opened_by_side, dispute.claimed_amount) == (
        DisputeKind.CHECK_IN,
        "exporter",
        Decimal("20.00"),
    )


def test_without_a_claimed_amount_everything_held_is_claimed(p):
    lease = p.lease_in(S.CHECKED_IN)
    api = client_with(key_for(p.exporter_org, user=p.exporter))

    assert api.post(dispute_path(lease), {"reason": "Wet pallets"}, format="json").status_code == 200

    assert Dispute.objects.get().claimed_amount == ledger.escrow_held(lease.escrow) > 0


def test_the_side_is_the_keys_organisation_not_the_creators_first_membership(p):
    """The key's creator belongs to both organisations; the owner's key reports damage as the owner."""
    MembershipFactory(organisation=p.owner_org, user=p.exporter)
    lease = p.lease_in(S.ACTIVE)
    api = client_with(key_for(p.owner_org, user=p.exporter))

    response = api.post(dispute_path(lease), {"reason": "Leaking drums damaged the racking"}, format="json")

    assert response.status_code == 200, response.json()
    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.opened_by_side) == (DisputeKind.DAMAGE_OR_LOSS, "owner")


def test_the_owners_key_cannot_dispute_the_check_in_even_if_its_creator_is_in_the_exporter(p):
    MembershipFactory(organisation=p.owner_org, user=p.exporter)
    lease = p.lease_in(S.CHECKED_IN)
    api = client_with(key_for(p.owner_org, user=p.exporter))

    response = api.post(dispute_path(lease), {"reason": "x", "kind": DisputeKind.CHECK_IN}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert not Dispute.objects.exists()
    assert Lease.objects.get(pk=lease.pk).state == S.CHECKED_IN


def test_an_explicit_kind_is_checked_by_the_service(p):
    lease = p.lease_in(S.CHECKED_IN)
    api = client_with(key_for(p.exporter_org, user=p.exporter))

    response = api.post(dispute_path(lease), {"reason": "x", "kind": DisputeKind.DAMAGE_OR_LOSS}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reason": "x", "kind": "weather"}, 400, "invalid"),
        ({"reason": "x", "claimed_amount": "-1.00"}, 400, "invalid"),
        ({"reason": "x", "claimed_amount": "1.234"}, 400, "invalid"),
        ({"reason": "x", "claimed_amount": "999999.00"}, 409, "dispute_invalid"),
        ({"kind": DisputeKind.CHECK_IN}, 400, "invalid"),
    ],
    ids=["unknown kind", "negative claim", "too many decimals", "claim above what is held", "no reason"],
)
def test_bad_bodies_are_refused_and_write_nothing(p, body, status, code):
    lease = p.lease_in(S.CHECKED_IN)
    api = client_with(key_for(p.exporter_org, user=p.exporter))

    response = api.post(dispute_path(lease), body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Dispute.objects.exists()
    assert Lease.objects.get(pk=lease.pk).state == S.CHECKED_IN
