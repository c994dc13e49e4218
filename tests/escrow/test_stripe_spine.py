"""The lease spine on the real Stripe SDK against the in-process fake, and the webhooks."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from escrow import ledger, webhooks
from escrow.choices import PaymentStatus, PayoutStatus
from escrow.exceptions import GatewayUnavailable, PaymentDeclined
from escrow.models import Payment, Payout, PayoutAccount, Posting, WebhookEvent
from leasing.choices import LeaseState as S

from .fake_stripe import event_payload, sign_webhook
from .helpers import stripe_parties

pytestmark = pytest.mark.django_db


def test_the_spine_on_stripe_charges_and_transfers_in_one_transfer_group(
    stripe_mode, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake, price_per_unit_day=Decimal("2.00"))
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    lease.refresh_from_db()

    assert lease.state == S.ACTIVE
    [intent] = fake.payment_intents
    [transfer] = fake.transfers
    assert intent["transfer_group"] == transfer["transfer_group"] == f"lease_{lease.pk}"
    assert intent["amount"] == int(lease.total * 100)
    assert intent["currency"] == "eur"
    assert transfer["amount"] == int(lease.owner_amount * 100)
    assert transfer["source_transaction"] == intent["latest_charge"]
    assert Payout.objects.get().status == PayoutStatus.PAID
    assert ledger.escrow_held(lease.escrow) == 0
    assert ledger.ledger_totals() == {"EUR": 0}
    keys = [r.idempotency_key for r in fake.requests if r.method == "POST"]
    assert f"escrow:{lease.escrow.pk}:charge:1" in keys
    assert f"escrow:{lease.escrow.pk}:release:1" in keys


def test_a_declined_card_on_stripe_changes_nothing(stripe_mode):
    p = stripe_parties(stripe_mode)
    lease = p.lease_in(S.ACCEPTED)

    with pytest.raises(PaymentDeclined):
        p.pay(lease, payment_method="pm_card_chargeDeclined")

    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert not Posting.objects.exists()


def test_a_stripe_5xx_changes_nothing_and_the_retry_charges_once(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.fail_next(status=500)

    with pytest.raises(GatewayUnavailable):
        p.pay(lease)
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert not Posting.objects.exists()

    p.pay(lease)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert len(fake.payment_intents) == 1


def test_a_timeout_after_stripe_charged_is_retried_with_the_same_key(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.timeout_next(applied=True)  # the charge happened; the answer was lost

    with pytest.raises(GatewayUnavailable):
        p.pay(lease)
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert Payment.objects.get().status == PaymentStatus.UNKNOWN

    p.pay(lease)

    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert len(fake.payment_intents) == 1  # charged exactly once
    assert ledger.escrow_held(lease.escrow) == lease.total


def test_a_stripe_transfer_failure_leaves_the_payout_to_retry(stripe_mode, django_capture_on_commit_callbacks):
    from escrow.processor import payouts_retry

    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.CHECKED_IN)
    fake.fail_next(status=503)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert Payout.objects.get().status == PayoutStatus.FAILED
    assert fake.transfers == []

    assert payouts_retry() == 1
    assert len(fake.transfers) == 1
    assert payouts_retry() == 0


class TestWebhooks:
    URL = reverse("escrow:stripe_webhook")

    def post(self, client, event_type, obj, event_id="evt_1", secret="whsec_test"):
        payload = event_payload(event_type, obj, event_id=event_id)
        return client.post(
            self.URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign_webhook(payload, secret)
        )

    def test_a_bad_signature_is_refused_and_nothing_is_stored(self, client, stripe_mode):
        response = self.post(client, "payment_intent.succeeded", {"id": "pi_x"}, secret="whsec_wrong")

        assert response.status_code == 400
        assert response.json()["code"] == "webhook_invalid"
        assert not WebhookEvent.objects.exists()

    def test_payment_succeeded_funds_the_lease_when_the_checkout_answer_was_lost(self, client, stripe_mode):
        fake = stripe_mode
        p = stripe_parties(fake)
        lease = p.lease_in(S.ACCEPTED)
        fake.timeout_next(applied=True)
        with pytest.raises(GatewayUnavailable):
            p.pay(lease)
        intent = fake.payment_intents[0]

        response = self.post(client, "payment_intent.succeeded", intent)
        replay = self.post(client, "payment_intent.succeeded", intent)

        assert response.status_code == 200
        assert replay.json()["replay"] is True
        lease.refresh_from_db()
        assert lease.state == S.FUNDED
        assert Posting.objects.count() == 1
        assert ledger.escrow_held(lease.escrow) == lease.total

    def test_events_out_of_order_never_move_backwards(self, client, stripe_mode):
        fake = stripe_mode
        p = stripe_parties(fake)
        lease = p.lease_in(S.FUNDED)
        intent = fake.payment_intents[0]

        self.post(client, "payment_intent.payment_failed", {**intent, "status": "requires_payment_method"}, "evt_late")
        self.post(client, "payment_intent.succeeded", intent, "evt_2")

        assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
        lease.refresh_from_db()
        assert lease.state == S.FUNDED
        assert Posting.objects.count() == 1

    def test_account_updated_enables_payouts(self, client, stripe_mode):
        fake = stripe_mode
        p = stripe_parties(fake)
        account = PayoutAccount.objects.get(organisation=p.owner_org)
        PayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=False)

        self.post(
            client,
            "account.updated",
            {"id": account.account_id, "object": "account", "payouts_enabled": True, "requirements": {}},
        )

        account.refresh_from_db()
        assert account.payouts_enabled is True

    def test_a_processing_error_answers_500_so_stripe_retries(self, client, stripe_mode, monkeypatch):
        def boom(obj):
            raise RuntimeError("database hiccup")

        monkeypatch.setitem(webhooks.HANDLERS, "account.updated", boom)
        client.raise_request_exception = False

        response = self.post(client, "account.updated", {"id": "acct_x", "object": "account"})

        assert response.status_code == 500
        stored = WebhookEvent.objects.get()
        assert stored.processed_at is None
        assert "database hiccup" in stored.error
        assert json.loads(json.dumps(stored.payload))["type"] == "account.updated"


def test_after_a_lost_answer_another_card_settles_the_first_attempt_and_charges_once(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.timeout_next(applied=True)  # the first card was charged; the answer was lost
    with pytest.raises(GatewayUnavailable):
        p.pay(lease, payment_method="pm_card_visa")

    payment = p.pay(lease, payment_method="pm_card_mastercard")  # the exporter tries another card

    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert len(fake.payment_intents) == 1  # the first charge, found again: nothing charged twice
    assert payment.attempt == 1
    assert payment.payment_method == "pm_card_visa"


def test_after_an_unknown_decline_another_card_gets_a_new_attempt(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    fake.timeout_next(applied=True)  # the first card was declined; the answer was lost
    with pytest.raises(GatewayUnavailable):
        p.pay(lease, payment_method="pm_card_chargeDeclined")

    payment = p.pay(lease, payment_method="pm_card_visa")

    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert payment.attempt == 2
    assert [pi["status"] for pi in fake.payment_intents][-1] == "succeeded"
