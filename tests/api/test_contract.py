"""The schema as a contract (api.schema.contract): every operation documents the 4xx the shared machinery
answers and every write the Idempotency-Key limits, whatever its view declared; and the limits the schema
states are the ones the server enforces."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from api.keys import key_hash
from api.models import ApiKey
from api.schema import decimal_pattern, text_pattern
from leasing import services
from leasing.choices import LeaseState, ShipmentStatus
from tests.api.conftest import client_with, key_for
from tests.warehouses.factories import days_from_now

WRITES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/v1/")
    ]


def test_every_operation_documents_the_shared_errors(operations):
    assert len(operations) >= 30
    for path, method, operation in operations:
        responses = operation["responses"]
        assert {"401", "403", "429"} <= set(responses), (method, path)
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        assert "WWW-Authenticate" in responses["401"]["headers"]
        if method in WRITES:
            assert {"400", "404", "409", "422"} <= set(responses), (method, path)
        if "{" in path or any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            assert "404" in responses, (method, path)


def test_every_write_takes_the_idempotency_key_with_the_server_limits(operations):
    for path, method, operation in operations:
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        if method in WRITES:
            assert [p["name"] for p in headers] == ["Idempotency-Key"], (method, path)
            assert headers[0]["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
        else:
            assert headers == [], (method, path)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_outside_the_schema_is_400(parties, key):
    api = client_with(key_for(parties.exporter_org, user=parties.exporter))
    response = api.post("/api/v1/leases/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["Idempotency-Key"])


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        (
            serializers.DecimalField(max_digits=14, decimal_places=2),
            ["-1", "0.5", ".5", "123456789012.12"],
            ["", "-", "1.123", "1234567890123"],
        ),
        (serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0), ["0", "12.5"], ["-1", ""]),
    ],
)
def test_decimal_patterns_match_what_drf_accepts(field, good, bad):
    pattern = re.compile(decimal_pattern(field))
    for value in good:
        assert pattern.match(value), value
        field.run_validation(value)
    for value in bad:
        assert not pattern.match(value), value
        with pytest.raises(serializers.ValidationError):
            field.run_validation(value)


def test_text_patterns_match_what_drf_accepts():
    required, optional = serializers.CharField(), serializers.CharField(allow_blank=True)
    for field, good, bad in (
        (required, ["a", " a ", "é"], ["", " ", "\x1c", "a\x00"]),
        (optional, ["", " "], ["\x00"]),
    ):
        pattern = re.compile(text_pattern(field))
        for value in good:
            assert pattern.match(value), repr(value)
            field.run_validation(value)
        for value in bad:
            assert not pattern.match(value), repr(value)
            with pytest.raises(serializers.ValidationError):
                field.run_validation(value)


@pytest.mark.django_db
def test_marking_a_shipment_backwards_is_a_409_conflict(parties):
    lease = parties.lease_in(LeaseState.FUNDED)
    shipment = services.shipment_announce(
        lease=lease,
        by=parties.exporter,
        carrier="Maersk",
        tracking_number="MSKU1",
        eta=days_from_now(2),
        lines=[services.DeclaredLine(description="Chairs", quantity=2)],
        customs_reference="MRN-1",
    )
    services.shipment_mark(shipment=shipment, by=parties.owner, status=ShipmentStatus.ARRIVED)
    api = client_with(key_for(parties.owner_org, user=parties.owner))
    response = api.post(f"/api/v1/shipments/{shipment.pk}/status/", {"status": "in_transit"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_shipment")


@pytest.mark.django_db
def test_api_key_create_prints_a_working_key_of_an_admin(parties):
    out = StringIO()
    organisation, user = parties.owner_org, parties.owner
    call_command(
        "api_key_create", organisation=organisation.name, user=user.email, scope="write", name="Contract", stdout=out
    )
    key = out.getvalue().strip()
    stored = ApiKey.objects.get(hashed_key=key_hash(key))
    assert (stored.organisation, stored.created_by, stored.scope, stored.name) == (
        organisation,
        user,
        "write",
        "Contract",
    )
    assert client_with(key).get("/api/v1/me/").status_code == 200
    with pytest.raises(CommandError):
        call_command("api_key_create", organisation=organisation.name, user=parties.exporter.email, stdout=out)


@pytest.mark.django_db
def test_a_boolean_filter_takes_only_booleans(parties):
    api = client_with(key_for(parties.owner_org, user=parties.owner))
    assert api.get("/api/v1/listings/", {"mine": "true"}).status_code == 200
    assert api.get("/api/v1/warehouses/", {"mine": "false"}).status_code == 200
    assert api.get("/api/v1/warehouses/").status_code == 200  # not given: no filter
    for value in ("maybe", ""):
        response = api.get("/api/v1/warehouses/", {"mine": value})
        assert (response.status_code, list(response.json()["fields"])) == (400, ["mine"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/search/", "start"),
        ("/api/v1/search/", "country"),
        ("/api/v1/search/", "radius"),
        ("/api/v1/leases/", "state"),
        ("/api/v1/listings/", "warehouse"),
        ("/api/v1/shipments/", "lease"),
    ],
)
def test_an_empty_value_where_the_schema_wants_one_is_400(parties, path, name):
    api = client_with(key_for(parties.owner_org, user=parties.owner))
    response = api.get(path, {name: ""})
    assert (response.status_code, list(response.json()["fields"])) == (400, [name])


@pytest.mark.django_db
def test_empty_free_text_is_no_filter(parties):
    api = client_with(key_for(parties.owner_org, user=parties.owner))
    assert api.get("/api/v1/warehouses/", {"city": ""}).status_code == 200
    assert api.get("/api/v1/search/", {"city": ""}).status_code == 200
