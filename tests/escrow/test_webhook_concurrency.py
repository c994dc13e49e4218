"""Eight copies of one signed Stripe event delivered at the same instant, over the real view, on
PostgreSQL with real threads and connections: exactly one runs the handler, the others are replays."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from escrow import webhooks
from escrow.exceptions import GatewayUnavailable
from escrow.models import Posting, WebhookEvent
from leasing.choices import LeaseState as S
from leasing.models import Lease, LeaseEvent

from .helpers import post_event, stripe_parties

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]

COPIES = 8


def deliver_at_once(fake, event: dict, copies: int = COPIES) -> list:
    """POST ``event`` ``copies`` times from threads released together, each with its own client and connection."""
    barrier = threading.Barrier(copies)
    results: list = [None] * copies

    def run(i: int) -> None:
        client = Client()
        barrier.wait()
        try:
            results[i] = post_event(client, fake, event)
        except Exception as error:  # reported by the assertion below, with the others' results
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(isinstance(result, Exception) for result in results), results
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_eight_concurrent_copies_of_one_event_run_its_handler_once(stripe_mode, monkeypatch, attempt):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.timeout_next(applied=True)  # the charge went through but our answer was lost: the webhook funds it
    with pytest.raises(GatewayUnavailable):
        p.pay(lease)
    event = {
        "id": f"evt_concurrent_{attempt}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": fake.payment_intents[0]},
    }

    runs: list[str] = []
    real_handler = webhooks.HANDLERS["payment_intent.succeeded"]

    def counted(obj):
        runs.append(obj["id"])
        time.sleep(0.2)  # hold the handler open so every other copy arrives while it runs
        return real_handler(obj)

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", counted)

    responses = deliver_at_once(fake, event)

    assert [response.status_code for response in responses] == [200] * COPIES
    replays = sorted(response.json()["replay"] for response in responses)
    assert replays == [False] + [True] * (COPIES - 1)
    assert len(runs) == 1
    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1
    assert WebhookEvent.objects.get(event_id=event["id"]).processed_at is not None
    lease = Lease.objects.get(pk=lease.pk)
    assert lease.state == S.FUNDED
    assert LeaseEvent.objects.filter(lease=lease, to_state=S.FUNDED).count() == 1
    assert Posting.objects.filter(escrow=lease.escrow).count() == 1


def test_a_copy_whose_handler_fails_leaves_the_event_for_the_next_delivery(stripe_mode, monkeypatch):
    """The claim is the handler's transaction: a failed run releases it, and the processor's retry runs it."""
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.timeout_next(applied=True)
    with pytest.raises(GatewayUnavailable):
        p.pay(lease)
    event = {
        "id": "evt_fails_once",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": fake.payment_intents[0]},
    }
    real_handler = webhooks.HANDLERS["payment_intent.succeeded"]
    calls: list[int] = []

    def fails_first(obj):
        calls.append(1)
        if len(calls) == 1:
            real_handler(obj)  # its writes must be rolled back with the claim
            raise RuntimeError("worker lost mid-handler")
        return real_handler(obj)

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", fails_first)
    client = Client(raise_request_exception=False)

    assert post_event(client, fake, event).status_code == 500
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.processed_at is None
    assert "worker lost" in stored.error
    assert Lease.objects.get(pk=lease.pk).state == S.ACCEPTED
    assert not Posting.objects.filter(escrow=lease.escrow).exists()

    retry = post_event(client, fake, event)
    assert retry.status_code == 200
    assert retry.json() == {"received": True, "replay": False}
    assert Lease.objects.get(pk=lease.pk).state == S.FUNDED
    assert Posting.objects.filter(escrow=lease.escrow).count() == 1
    assert WebhookEvent.objects.get(event_id=event["id"]).error == ""
