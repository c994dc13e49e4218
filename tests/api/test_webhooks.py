"""Outbound webhooks: signed deliveries that verify with the recipe in docs/api.md, retries with
backoff, and a receiver that keeps failing marked failed. Deliveries go to a local HTTP server."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from api.choices import DeliveryStatus
from api.models import WebhookDelivery
from api.services import webhook_endpoint_create
from api.webhooks import BACKOFF, deliveries_send
from leasing.choices import LeaseState
from tests.api.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verifier():
    """The signature recipe exactly as docs/api.md prints it."""
    text = DOCS.read_text()
    section = text[text.index("### Verifying signatures") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)
    return namespace["verify_wareshare_signature"]


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers with ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WARESHARE_WEBHOOKS_ALLOW_HTTP = True
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_lease_events_arrive_signed_and_verify_with_the_documented_recipe(
    parties, receiver, django_capture_on_commit_callbacks
):
    exporter = WebhookEndpointFactory(organisation=parties.exporter_org, url=f"{receiver.url}/exporter")
    owner = WebhookEndpointFactory(
        organisation=parties.owner_org, url=f"{receiver.url}/owner", events=["shipment.arrived"]
    )
    secrets = {"/hooks/exporter": exporter.secret, "/hooks/owner": owner.secret}
    with django_capture_on_commit_callbacks(execute=True):
        lease = parties.lease_in(LeaseState.ACTIVE)
    verify = documented_verifier()
    received: dict[str, list[str]] = {"/hooks/exporter": [], "/hooks/owner": []}
    for path, headers, body in receiver.received:
        event = json.loads(body)
        assert (headers["Wareshare-Event"], headers["Wareshare-Delivery"]) == (event["type"], event["id"])
        assert verify(secrets[path], body, headers["Wareshare-Signature"])
        assert not verify("whsec_wrong", body, headers["Wareshare-Signature"])
        assert not verify(secrets[path], body + b" ", headers["Wareshare-Signature"])
        received[path].append(event["type"])
    # The check-in also moved the goods into stock: one ``stock.moved`` per line (CH-1, TB-1).
    assert received["/hooks/exporter"].count("stock.moved") == 2
    assert [kind for kind in received["/hooks/exporter"] if kind != "stock.moved"] == [
        "lease.requested",
        "lease.accepted",
        "lease.funded",
        "shipment.announced",
        "shipment.in_transit",
        "shipment.arrived",
        "checkin.recorded",
        "lease.checked_in",
        "lease.active",
        "escrow.released",
    ]
    assert received["/hooks/owner"] == ["shipment.arrived"]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 13
    accepted = next(json.loads(body) for _, _, body in receiver.received if b'"lease.accepted"' in body)
    assert accepted["data"]["lease"]["id"] == lease.pk
    assert accepted["data"]["from_state"] == "requested"


def test_a_failing_receiver_is_retried_with_backoff_then_marked_failed(
    parties, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    WebhookEndpointFactory(organisation=parties.owner_org, url=receiver.url, events=["lease.requested"])
    with django_capture_on_commit_callbacks(execute=True):
        parties.request()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.status, delivery.last_status_code) == (1, DeliveryStatus.PENDING, 500)
    now = timezone.now()
    for attempt, wait in enumerate(BACKOFF, start=1):
        delivery.refresh_from_db()
        assert delivery.next_attempt_at - now >= wait - timedelta(seconds=5)
        assert deliveries_send(now=delivery.next_attempt_at - timedelta(seconds=1)) == 0  # not due yet
        assert WebhookDelivery.objects.get().attempts == attempt
        now = delivery.next_attempt_at
        deliveries_send(now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 6, None)
    assert len(receiver.received) == 6
    assert len({headers["Wareshare-Delivery"] for _, headers, _ in receiver.received}) == 1
    assert deliveries_send(now=now + timedelta(days=2)) == 0
    assert len(receiver.received) == 6


def test_a_receiver_that_recovers_gets_the_delivery(parties, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    WebhookEndpointFactory(organisation=parties.owner_org, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        parties.request()
    receiver.status = 204
    assert deliveries_send(now=timezone.now() + BACKOFF[0]) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert receiver.received[0][2] == receiver.received[1][2]  # the same bytes on every attempt


def test_private_addresses_are_refused_outside_development(parties, settings):
    settings.WARESHARE_WEBHOOKS_ALLOW_HTTP = True
    webhook_endpoint_create(organisation=parties.owner_org, by=parties.owner, url="https://127.0.0.1:9/hooks")
    settings.WARESHARE_WEBHOOKS_ALLOW_HTTP = False
    parties.request()
    deliveries_send()
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error.startswith("Refused")
    assert delivery.last_status_code is None


def test_only_https_urls_in_production(parties):
    from common.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as error:
        webhook_endpoint_create(organisation=parties.owner_org, by=parties.owner, url="http://example.com/hooks")
    assert error.value.code == "invalid_webhook_url"
