"""Cancel (with its quote), extend, and the lease's ``actions``: the API asks the same rules and
services as the lease page, with the same errors and codes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from escrow.ledger import escrow_held
from leasing import rules
from leasing.choices import LeaseState as S
from leasing.models import Lease
from leasing.services import lease_cancel_quote

pytestmark = pytest.mark.django_db


def test_the_lease_lists_exactly_the_actions_the_rules_allow_each_side(parties, owner_api, exporter_api):
    lease = parties.lease_in(S.CHECKED_IN)
    for api, side in ((owner_api, rules.OWNER), (exporter_api, rules.EXPORTER)):
        body = api.get(f"/api/v1/leases/{lease.pk}/").json()
        assert body["actions"] == rules.lease_allowed(Lease.objects.get(pk=lease.pk), side)
    assert "confirm" in exporter_api.get(f"/api/v1/leases/{lease.pk}/").json()["actions"]
    assert owner_api.get(f"/api/v1/leases/{lease.pk}/").json()["actions"] == []


def test_the_exporter_cancels_a_paid_lease_for_the_quoted_refund(parties, exporter_api):
    lease = parties.lease_in(S.FUNDED)
    quote = exporter_api.get(f"/api/v1/leases/{lease.pk}/cancellation/").json()
    expected = lease_cancel_quote(lease=lease, side=rules.EXPORTER)
    assert (quote["side"], quote["allowed"], quote["code"]) == ("exporter", True, "")
    assert Decimal(quote["refund"]) == expected.refund
    assert Decimal(quote["owner_part"]) + Decimal(quote["platform_fee"]) + Decimal(quote["refund"]) == lease.total

    response = exporter_api.post(
        f"/api/v1/leases/{lease.pk}/cancel/", {"expected_refund": quote["refund"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["cancelled_by"]) == ("cancelled", "exporter")
    assert escrow_held(Lease.objects.get(pk=lease.pk).escrow) == 0


def test_a_refund_that_changed_since_the_quote_cancels_nothing(parties, exporter_api):
    lease = parties.lease_in(S.FUNDED)
    quoted = Decimal(exporter_api.get(f"/api/v1/leases/{lease.pk}/cancellation/").json()["refund"])
    response = exporter_api.post(
        f"/api/v1/leases/{lease.pk}/cancel/", {"expected_refund": str(quoted - Decimal("1.00"))}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "refund_changed")
    assert Lease.objects.get(pk=lease.pk).state == S.FUNDED


def test_a_side_that_may_not_cancel_is_told_why_before_and_when_it_tries(parties, owner_api):
    lease = parties.lease_in(S.CHECKED_IN)
    quote = owner_api.get(f"/api/v1/leases/{lease.pk}/cancellation/").json()
    verdict = rules.cancel(lease, rules.OWNER)
    assert (quote["allowed"], quote["code"], quote["reason"]) == (False, verdict.error_code, verdict.reason)
    response = owner_api.post(f"/api/v1/leases/{lease.pk}/cancel/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, verdict.error_code)
    assert Lease.objects.get(pk=lease.pk).state == S.CHECKED_IN


def test_the_exporter_extends_an_active_lease_into_a_new_lease_to_pay(parties, exporter_api, owner_api):
    lease = parties.lease_in(S.ACTIVE)
    end = lease.end + timedelta(days=10)
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/extend/", {"end": end.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    extension = response.json()
    assert (extension["parent"], extension["origin"], extension["end"]) == (lease.pk, "extension", end.isoformat())
    assert extension["start"] == (lease.end + timedelta(days=1)).isoformat()
    assert extension["id"] != lease.pk
    assert extension["state"] in ("requested", "accepted")

    refused = owner_api.post(f"/api/v1/leases/{lease.pk}/extend/", {"end": end.isoformat()}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")


@pytest.mark.parametrize("end", ["", "not-a-date", None])
def test_a_bad_end_is_a_field_error_and_writes_nothing(parties, exporter_api, end):
    lease = parties.lease_in(S.ACTIVE)
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/extend/", {"end": end}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert list(response.json()["fields"]) == ["end"]
    assert Lease.objects.count() == 1


def test_an_end_before_the_current_end_is_refused_with_its_code(parties, exporter_api):
    lease = parties.lease_in(S.ACTIVE)
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/extend/", {"end": lease.end.isoformat()}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_extension"
    assert Lease.objects.count() == 1
