"""Acceptance 2: replaying every webhook of a full lease three times, in random order, changes nothing."""

import random
from decimal import Decimal

import pytest
from django.db.models import F

from escrow.choices import ChargebackStatus
from escrow.exceptions import PaymentDeclined
from escrow.models import Chargeback, PayoutAccount, TransferReversal, WebhookEvent
from escrow.processor import refund_execute
from escrow.reconcile import escrow_reconcile_all
from escrow.services import escrow_refund, payout_account_start_stripe
from leasing import services
from leasing.choices import LeaseState as S

from .helpers import money_hash, money_state, post_event, stripe_parties

pytestmark = pytest.mark.django_db

HANDLED = {
    "account.updated",
    "payment_intent.payment_failed",
    "payment_intent.succeeded",
    "charge.refunded",
    "transfer.reversed",
    "charge.dispute.created",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.closed",
}


@pytest.fixture
def full_lease(client, stripe_mode, django_capture_on_commit_callbacks):
    """Onboarding, a declined card, 3-D Secure, a partial refund, check-in, release and transfer, a
    card dispute lost after the release and the owner's transfer reversed: each webhook delivered
    once, as it happens."""
    fake = stripe_mode
    delivered: set[str] = set()

    def deliver_new():
        while new := [event for event in fake.events if event["id"] not in delivered]:  # handlers may cause events
            for event in new:
                delivered.add(event["id"])
                with django_capture_on_commit_callbacks(execute=True):
                    assert post_event(client, fake, event).status_code == 200

    p = stripe_parties(fake, price_per_unit_day=Decimal("2.20"))
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()
    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email)
    fake.complete_onboarding(account.account_id)
    deliver_new()
    lease = p.lease_in(S.ACCEPTED)
    with pytest.raises(PaymentDeclined):
        p.pay(lease, payment_method="pm_card_chargeDeclined")
    payment = p.pay(lease, payment_method="pm_card_authenticationRequired")
    fake.authenticate(payment.processor_id)
    deliver_new()
    services.lease_pay_finalize(lease=lease, by=p.exporter, payment_id=payment.processor_id)
    with django_capture_on_commit_callbacks(execute=True):
        refund = escrow_refund(
            escrow=lease.escrow, exporter=p.exporter_org, amount=Decimal("3.00"), reason="goodwill", key="goodwill"
        )
    refund_execute(refund=refund)
    deliver_new()
    lease.refresh_from_db()
    # the release is of what is still held: the (single) instalment less the goodwill refund
    lease.instalments.update(amount=F("amount") - Decimal("3.00"))
    p.walker.check_in(lease)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    deliver_new()
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver_new()
    fake.dispute_close(dispute["id"], "lost")
    deliver_new()

    assert Chargeback.objects.get().status == ChargebackStatus.LOST
    assert TransferReversal.objects.get().processor_id
    assert {event["type"] for event in fake.events} >= HANDLED
    assert escrow_reconcile_all() == []
    return fake


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replaying_every_webhook_three_times_in_random_order_changes_nothing(
    client, full_lease, seed, django_capture_on_commit_callbacks
):
    fake = full_lease
    before, state = money_hash(), money_state()
    assert WebhookEvent.objects.count() == len(fake.events)
    replays = [event for event in fake.events for _ in range(3)]
    random.Random(seed).shuffle(replays)

    for n, event in enumerate(replays):
        # the same event again (a replay by id), and the same change under a new event id
        for copy in (event, {**event, "id": f"{event['id']}_again{n}"}):
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, fake, copy)
            assert response.status_code == 200, response.content

    assert money_state() == state
    assert money_hash() == before
    assert WebhookEvent.objects.count() == len(fake.events) + len(replays)  # each new id stored once
    assert escrow_reconcile_all() == []
