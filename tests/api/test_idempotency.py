"""Idempotency-Key: a retry returns the first answer and changes nothing."""

import pytest

from api.models import IdempotencyRecord
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory
from tests.api.conftest import client_with, key_for
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _request_body(parties, quantity=2):
    return {
        "listing": parties.listing.pk,
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": quantity,
        "goods_description": "Chairs",
    }


def test_a_retry_replays_the_first_answer_and_changes_nothing(parties, exporter_api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-4711"}
    first = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", **headers)
    again = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lease.objects.count() == 1


def test_a_different_body_with_a_used_key_is_refused(parties, exporter_api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-4712"}
    exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", **headers)
    reused = exporter_api.post("/api/v1/leases/", _request_body(parties, quantity=3), format="json", **headers)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert Lease.objects.count() == 1


def test_keys_are_per_path_and_per_organisation(parties, exporter_api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
    lease = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", **headers).json()
    withdrawn = exporter_api.post(f"/api/v1/leases/{lease['id']}/withdraw/", format="json", **headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "cancelled"
    other = client_with(key_for(ExporterOrganisationFactory()))
    response = other.post("/api/v1/leases/", _request_body(parties), format="json", **headers)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Lease.objects.count() == 2


def test_an_error_answer_is_replayed_too(parties, exporter_api, owner_api):
    lease = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json").json()
    headers = {"HTTP_IDEMPOTENCY_KEY": "accept-1"}
    refused = exporter_api.post(f"/api/v1/leases/{lease['id']}/accept/", **headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    again = exporter_api.post(f"/api/v1/leases/{lease['id']}/accept/", **headers)
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (403, refused.json(), "true")


def test_a_request_still_running_is_not_run_twice(parties, exporter_api):
    exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", HTTP_IDEMPOTENCY_KEY="busy")
    IdempotencyRecord.objects.filter(key="busy").update(status_code=None, response_body=None)  # as if still running
    response = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_in_progress")
    assert Lease.objects.count() == 1


def test_a_server_error_is_not_stored_so_the_retry_runs(parties, exporter_api, owner_api):
    lease = exporter_api.post("/api/v1/leases/", _request_body(parties), format="json").json()
    owner_api.post(f"/api/v1/leases/{lease['id']}/accept/")
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    body = {"payment_method": "sim_gateway_error"}
    failed = exporter_api.post(f"/api/v1/leases/{lease['id']}/pay/", body, format="json", **headers)
    assert (failed.status_code, failed.json()["code"]) == (503, "gateway_unavailable")
    assert not IdempotencyRecord.objects.filter(key="pay-1").exists()
    body = {"payment_method": "pm_card_visa"}
    paid = exporter_api.post(f"/api/v1/leases/{lease['id']}/pay/", body, format="json", **headers)
    assert paid.status_code == 200
    assert paid.json()["lease"]["state"] == "funded"


def test_an_error_echoing_a_nul_character_is_answered_and_not_kept(parties, owner_api):
    """PostgreSQL cannot store NUL in the kept answer: the refusal is answered each time, nothing is kept."""
    headers = {"HTTP_IDEMPOTENCY_KEY": "nul-1"}
    path = f"/api/v1/listings/{parties.listing.pk}/status/"
    for _ in range(2):
        response = owner_api.post(path, {"status": "\x00"}, format="json", **headers)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        assert "Idempotent-Replayed" not in response
    assert not IdempotencyRecord.objects.exists()
    assert owner_api.get("/api/v1/me/").status_code == 200  # the connection is still usable
