"""Shared by the escrow tests: leases on the fake Stripe, webhook delivery, a fingerprint of the money tables."""

import hashlib
import json

from django.urls import reverse

from escrow.models import (
    Chargeback,
    Escrow,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Posting,
    Refund,
    TransferReversal,
)
from escrow.webhooks import webhook_process
from tests.leasing.factories import Parties

from .fake_stripe import FakeStripe

WEBHOOK_URL = reverse("escrow:stripe_webhook")


def stripe_parties(fake: FakeStripe, *, payouts_enabled: bool = True, **listing_fields: object) -> Parties:
    """Parties whose owner is paid through a connected account at the fake."""
    p = Parties(**listing_fields)
    account_id = fake.add_account(payouts_enabled=payouts_enabled)
    PayoutAccount.objects.filter(organisation=p.owner_org).update(
        gateway="stripe", account_id=account_id, payouts_enabled=payouts_enabled
    )
    return p


def post_event(client, fake: FakeStripe, event: dict):
    """Deliver ``event`` as Stripe does: signed, to the webhook URL."""
    payload, signature = fake.webhook(event)
    return client.post(WEBHOOK_URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def process_event(gateway, fake: FakeStripe, event: dict) -> bool:
    """Deliver ``event`` without HTTP: the same signature check, then ``webhook_process``."""
    payload, signature = fake.webhook(event)
    return webhook_process(event=gateway.webhook_event(payload=payload, signature=signature))


def events_of(fake: FakeStripe, event_type: str) -> list[dict]:
    return [event for event in fake.events if event["type"] == event_type]


def money_state() -> dict:
    """The money tables without timestamps or database ids that depend on insertion order."""
    postings = {
        posting.idempotency_key: (
            posting.currency,
            sorted((entry.account, str(entry.amount)) for entry in posting.entries.all()),
        )
        for posting in Posting.objects.prefetch_related("entries")
    }
    return {
        "postings": postings,
        "entries": LedgerEntry.objects.count(),
        "escrows": sorted(Escrow.objects.values_list("lease_id", "currency", "frozen")),
        "payments": sorted(
            (p.idempotency_key, p.status, p.processor_id, p.charge_id, str(p.amount)) for p in Payment.objects.all()
        ),
        "payouts": sorted((p.idempotency_key, p.status, p.processor_id, str(p.amount)) for p in Payout.objects.all()),
        "refunds": sorted((r.idempotency_key, r.status, r.processor_id, str(r.amount)) for r in Refund.objects.all()),
        "chargebacks": sorted((c.dispute_id, c.status, str(c.amount)) for c in Chargeback.objects.all()),
        "reversals": sorted(
            (r.idempotency_key, r.status, r.processor_id, str(r.amount)) for r in TransferReversal.objects.all()
        ),
        "accounts": sorted(
            (a.account_id, a.payouts_enabled, tuple(a.requirements)) for a in PayoutAccount.objects.all()
        ),
    }


def money_hash() -> str:
    return hashlib.sha256(json.dumps(money_state(), sort_keys=True).encode()).hexdigest()
