"""The integration pages: organisation admins create and revoke API keys and webhook endpoints,
see each secret once, and read the delivery log."""

import re

import pytest
from django.urls import reverse

from accounts.choices import Role
from api.models import ApiKey, WebhookEndpoint
from tests.accounts.factories import member_of
from tests.api.conftest import client_with
from tests.api.factories import ApiKeyFactory, WebhookDeliveryFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, parties):
    return login(client, parties.exporter)


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(admin_client, parties):
    response = admin_client.post(reverse("integrations:api_keys"), {"name": "ERP", "scope": "read"})
    assert response.status_code == 200
    key = re.search(r'<code id="new-key">(wsk_[^<]+)</code>', response.content.decode()).group(1)
    assert client_with(key).get("/api/v1/me/").json()["key"]["scope"] == "read"
    again = admin_client.get(reverse("integrations:api_keys")).content.decode()
    assert key not in again
    assert "ERP" in again
    api_key = ApiKey.objects.get()
    admin_client.post(reverse("integrations:api_key_revoke", args=[api_key.pk]))
    assert client_with(key).get("/api/v1/me/").status_code == 401


def test_members_who_are_not_admins_get_404(client, parties):
    client.force_login(member_of(parties.exporter_org, role=Role.MEMBER))
    for name in ("integrations:api_keys", "integrations:webhooks"):
        assert client.get(reverse(name)).status_code == 404


def test_another_organisations_key_cannot_be_revoked(admin_client, parties):
    api_key = ApiKeyFactory(organisation=parties.owner_org)
    assert admin_client.post(reverse("integrations:api_key_revoke", args=[api_key.pk])).status_code == 404
    assert client_with(api_key.key).get("/api/v1/me/").status_code == 200


def test_an_admin_adds_an_endpoint_sees_its_secret_once_and_reads_the_log(admin_client, parties):
    page = admin_client.post(
        reverse("integrations:webhooks"), {"url": "https://erp.example.com/hooks", "events": ["lease.accepted"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in page.content.decode()
    assert endpoint.events == ["lease.accepted"]
    assert endpoint.secret not in admin_client.get(reverse("integrations:webhooks")).content.decode()
    WebhookDeliveryFactory(endpoint=endpoint, event_type="lease.accepted")
    log = admin_client.get(reverse("integrations:webhook_detail", args=[endpoint.pk]))
    assert "lease.accepted" in log.content.decode()
    admin_client.post(reverse("integrations:webhook_disable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_plain_http_endpoints_are_refused(admin_client):
    page = admin_client.post(reverse("integrations:webhooks"), {"url": "http://erp.example.com/hooks"})
    assert "must start with https://" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_docs_and_schema_are_served_with_local_assets(client):
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
