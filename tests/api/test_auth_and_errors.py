"""API keys, sessions, scopes, throttling, and the JSON shape of every error."""

from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership
from api.keys import key_hash
from api.models import ApiKey
from api.services import api_key_revoke
from tests.accounts.factories import PASSWORD, UserFactory, member_of
from tests.api.conftest import client_with, key_for
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


def _lease_body(parties, **changes):
    return {
        "listing": parties.listing.pk,
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": 2,
        "goods_description": "Chairs",
        **changes,
    }


def test_a_key_is_stored_hashed_and_acts_as_its_organisation(parties):
    key = key_for(parties.exporter_org, user=parties.exporter)
    stored = ApiKey.objects.get()
    assert key not in (stored.prefix, stored.hashed_key)
    assert stored.hashed_key == key_hash(key)
    me = client_with(key).get("/api/v1/me/").json()
    assert me["organisation"]["id"] == parties.exporter_org.pk
    assert me["user"] == str(parties.exporter)
    assert me["key"] == {"prefix": stored.prefix, "name": stored.name, "scope": "write"}
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key wsk_000000000000_wrong", "Api-Key ", "Bearer abc"],
)
def test_bad_credentials_are_401(parties, header):
    key_for(parties.exporter_org)
    response = APIClient().get("/api/v1/leases/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in ("invalid_api_key", "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_wrong_secret_with_a_real_prefix_is_refused(parties):
    key = key_for(parties.exporter_org)
    response = client_with(key[:-3] + "xyz").get("/api/v1/leases/")
    assert (response.status_code, response.json()["code"]) == (401, "invalid_api_key")


def test_revoked_keys_and_keys_of_departed_members_stop_working(parties):
    key = key_for(parties.exporter_org, user=parties.exporter)
    api_key_revoke(api_key=ApiKey.objects.get())
    assert client_with(key).get("/api/v1/leases/").status_code == 401
    leaver = member_of(parties.exporter_org)
    key = key_for(parties.exporter_org, user=leaver)
    assert client_with(key).get("/api/v1/leases/").status_code == 200
    Membership.objects.filter(user=leaver).delete()
    assert client_with(key).get("/api/v1/leases/").status_code == 401


def test_session_auth_for_the_browser_with_csrf_on_writes(parties):
    browser = APIClient(enforce_csrf_checks=True)
    assert browser.login(email=parties.exporter.email, password=PASSWORD)
    me = browser.get("/api/v1/me/").json()
    assert (me["organisation"]["id"], me["key"]) == (parties.exporter_org.pk, None)
    refused = browser.post("/api/v1/leases/", _lease_body(parties), format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert "CSRF" in refused.json()["detail"]


def test_a_user_without_organisation_is_refused(db):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/leases/")
    assert (response.status_code, response.json()["code"]) == (403, "no_organisation")


def test_validation_errors_name_the_fields(parties, exporter_api):
    response = exporter_api.post(
        "/api/v1/leases/", _lease_body(parties, quantity=0, start="soon", listing=999999), format="json"
    )
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"quantity", "start", "listing"}
    assert all(isinstance(messages, list) for messages in body["fields"].values())


def test_form_rules_apply_to_the_api_as_on_the_pages(parties, owner_api):
    response = owner_api.patch(
        f"/api/v1/listings/{parties.listing.pk}/", {"min_days": 30, "max_days": 7}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"max_days": ["The maximum lease must be at least the minimum lease."]}
    parties.listing.refresh_from_db()
    assert (parties.listing.min_days, parties.listing.max_days) == (1, 365)


def test_a_window_back_dated_past_the_warehouse_limit_is_a_field_error(parties, owner_api, clock):
    """31 days before the warehouse's today is the limit, whatever zone the server is in."""
    Warehouse.objects.filter(pk=parties.listing.warehouse_id).update(timezone="Pacific/Kiritimati")  # UTC+14
    clock.set(datetime(2027, 3, 10, 11, 0, tzinfo=UTC))  # 10 March in UTC, 11 March at the warehouse
    url = f"/api/v1/listings/{parties.listing.pk}/"
    assert owner_api.patch(url, {"available_from": "2027-02-08"}, format="json").status_code == 200
    response = owner_api.patch(url, {"available_from": "2027-02-07"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["available_from"]
    parties.listing.refresh_from_db()
    assert parties.listing.available_from == date(2027, 2, 8)


def test_malformed_json_is_400(exporter_api):
    response = exporter_api.post("/api/v1/leases/", "{nope", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"end": days_from_now(1).isoformat()}, 400, "invalid_dates"),
        ({"quantity": 11}, 400, "invalid_dates"),
    ],
)
def test_domain_errors_keep_their_code(parties, exporter_api, change, status, code):
    response = exporter_api.post("/api/v1/leases/", _lease_body(parties, **change), format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert set(response.json()) == {"code", "detail"}


def test_steps_of_the_other_side_and_of_the_wrong_state(parties, exporter_api, owner_api):
    lease = exporter_api.post("/api/v1/leases/", _lease_body(parties), format="json").json()
    refused = exporter_api.post(f"/api/v1/leases/{lease['id']}/accept/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    assert owner_api.post(f"/api/v1/leases/{lease['id']}/accept/").status_code == 200
    again = owner_api.post(f"/api/v1/leases/{lease['id']}/accept/")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    full = exporter_api.post("/api/v1/leases/", _lease_body(parties, quantity=9), format="json")
    assert (full.status_code, full.json()["code"]) == (409, "capacity_unavailable")
    declined = exporter_api.post(
        f"/api/v1/leases/{lease['id']}/pay/", {"payment_method": "pm_card_chargeDeclined"}, format="json"
    )
    assert (declined.status_code, declined.json()["code"]) == (402, "payment_declined")


def test_an_exporter_cannot_add_warehouses(parties, exporter_api):
    response = exporter_api.post("/api/v1/warehouses/", {"name": "X"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_an_owner")


def test_unknown_objects_and_methods(exporter_api):
    assert exporter_api.get("/api/v1/leases/999999/").json() == {"code": "not_found", "detail": "Not found."}
    response = exporter_api.delete("/api/v1/leases/")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_a_cursor_that_names_no_page_is_404(exporter_api):
    # The schema cannot tell a cursor from another string, so a made-up one is an unknown page, not invalid input.
    response = exporter_api.get("/api/v1/leases/", {"cursor": "garbage"})
    assert (response.status_code, response.json()["code"]) == (404, "invalid_cursor")
    assert APIClient().get("/api/v1/search/", {"cursor": "nope"}).status_code == 404


@pytest.mark.parametrize("page_size", ["0", "101", "ten", "", "1.5"])
def test_page_size_outside_1_to_100_is_400_not_clamped(exporter_api, page_size):
    for path in ("/api/v1/leases/", "/api/v1/search/"):
        response = exporter_api.get(path, {"page_size": page_size})
        assert (response.status_code, list(response.json()["fields"])) == (400, ["page_size"])
    assert exporter_api.get("/api/v1/leases/", {"page_size": "100"}).status_code == 200


def test_ordering_is_one_of_the_listed_values(exporter_api):
    assert exporter_api.get("/api/v1/leases/", {"ordering": "-start"}).status_code == 200
    for value in ("AAA", "", "start,created_at", "goods_description"):
        response = exporter_api.get("/api/v1/leases/", {"ordering": value})
        assert (response.status_code, list(response.json()["fields"])) == (400, ["ordering"])


def test_search_takes_any_country_code(parties):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/search/", {"country": "FR"}).json()["results"] == []  # no listings there
    assert anonymous.get("/api/v1/search/", {"country": "france"}).status_code == 400


def test_throttling_per_key_answers_429_json(parties, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}
    first, second = key_for(parties.exporter_org), key_for(parties.exporter_org)
    for _ in range(3):
        assert client_with(first).get("/api/v1/leases/").status_code == 200
    throttled = client_with(first).get("/api/v1/leases/")
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert client_with(second).get("/api/v1/leases/").status_code == 200  # per key, not per organisation


def test_search_uses_the_page_rules(parties):
    anonymous = APIClient()
    bad = anonymous.get("/api/v1/search/", {"start": days_from_now(5), "sort": "distance"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"end", "sort"}
    assert anonymous.get("/api/v1/search/", {"quantity": 10**12}).status_code == 400


def test_search_pages_with_next_links(parties):
    warehouse = WarehouseFactory(organisation=parties.owner_org)
    for _ in range(4):
        ListingFactory(warehouse=warehouse)
    client = APIClient()
    seen, url, pages = [], "/api/v1/search/?page_size=2&sort=newest", 0
    while url:
        page = client.get(url).json()
        seen += [row["listing"]["id"] for row in page["results"]]
        url, pages = page["next"], pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
