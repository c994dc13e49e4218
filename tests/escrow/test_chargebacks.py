"""Card disputes on the fake Stripe: freeze, notify, won and lost, the owner's transfer reversed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from common.money import to_minor
from escrow import ledger
from escrow.chargebacks import CHARGEBACK_LOSS, chargeback_account, chargebacks_recover, receivable_owner
from escrow.choices import ChargebackStatus, PayoutStatus, RefundStatus, ReversalStatus
from escrow.exceptions import EscrowError
from escrow.models import Chargeback, Payout, PayoutAccount, TransferReversal, WebhookEvent
from escrow.processor import payouts_retry, refund_execute
from escrow.reconcile import escrow_reconcile_all
from escrow.services import escrow_refund
from leasing import services as leasing_services
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.accounts.factories import UserFactory

from .helpers import events_of, post_event, stripe_parties

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="money@wareshare.example")


@pytest.fixture
def deliver(client, stripe_mode, django_capture_on_commit_callbacks):
    """Deliver every event of ``type`` not yet delivered (after-commit work runs, as in production)."""
    fake = stripe_mode
    delivered: set[str] = set()

    def run(event_type: str, *, expect: int = 200):
        for event in events_of(fake, event_type):
            if event["id"] in delivered:
                continue
            delivered.add(event["id"])
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, fake, event)
            assert response.status_code == expect, response.content

    return run


def gateway_in_step(fake, currency="EUR") -> None:
    """The ledger's ``gateway`` account equals the fake platform balance, and reconciliation is clean."""
    assert to_minor(ledger.account_balance(ledger.GATEWAY, currency), currency) == fake.balance(currency)
    assert escrow_reconcile_all() == []
    assert ledger.ledger_totals() in ({}, {currency: 0})


def released(p, fake, capture) -> Lease:
    lease = p.lease_in(S.CHECKED_IN)
    with capture(execute=True):
        p.confirm(lease)
    lease.refresh_from_db()
    assert Payout.objects.get(escrow=lease.escrow).status == PayoutStatus.PAID
    return lease


def test_a_dispute_freezes_the_escrow_posts_the_withdrawal_and_tells_everyone(stripe_mode, deliver, staff):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    mail.outbox.clear()

    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")

    escrow = lease.escrow
    escrow.refresh_from_db()
    chargeback = Chargeback.objects.get()
    assert escrow.frozen is True
    assert (chargeback.dispute_id, chargeback.status, chargeback.amount) == (
        dispute["id"],
        ChargebackStatus.OPEN,
        lease.total,
    )
    assert ledger.escrow_held(escrow) == lease.total  # still held: frozen, not spent
    assert ledger.account_balance(chargeback_account(escrow), "EUR") == lease.total
    [message] = mail.outbox
    assert set(message.to) == {staff.email, p.owner.email, p.exporter.email}
    assert message.subject == f"[Wareshare] Card dispute opened — lease #{lease.pk}"  # the lease named once
    gateway_in_step(fake)


def test_a_frozen_escrow_is_not_released_and_the_sweep_skips_it(client, stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.CHECKED_IN)
    fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")

    with pytest.raises(EscrowError) as refused:
        p.confirm(lease)
    assert refused.value.code == "escrow_frozen"

    client.force_login(p.exporter)
    response = client.post(reverse("leasing:lease_confirm", args=[lease.pk]), follow=True)
    assert "frozen while a card dispute is open" in response.content.decode()

    Lease.objects.filter(pk=lease.pk).update(confirm_by=timezone.now() - timedelta(minutes=1))
    assert leasing_services.leases_auto_confirm() == 0  # skipped, not crashed
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN
    assert not Payout.objects.exists()


def test_a_won_dispute_unfreezes_and_the_release_goes_through(stripe_mode, deliver, django_capture_on_commit_callbacks):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.CHECKED_IN)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    fake.dispute_close(dispute["id"], "won")
    deliver("charge.dispute.closed")

    lease.escrow.refresh_from_db()
    assert lease.escrow.frozen is False
    assert Chargeback.objects.get().status == ChargebackStatus.WON
    assert ledger.account_balance(chargeback_account(lease.escrow), "EUR") == 0
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert Payout.objects.get().status == PayoutStatus.PAID
    gateway_in_step(fake)


@pytest.mark.parametrize(
    ("outcome", "english", "chinese"),
    [("won", "Card dispute won", "银行卡争议已胜诉"), ("lost", "Card dispute lost", "银行卡争议已败诉")],
)
def test_dispute_subjects_name_the_lease_once_in_each_language(stripe_mode, deliver, outcome, english, chinese):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    User = type(p.owner)
    User.objects.filter(pk=p.owner.pk).update(language="zh-hans")
    User.objects.filter(pk=p.exporter.pk).update(language="en")
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    mail.outbox.clear()
    fake.dispute_close(dispute["id"], outcome)
    deliver("charge.dispute.closed")

    subjects = {address: message.subject for message in mail.outbox for address in message.to}
    assert subjects[p.exporter.email] == f"[Wareshare] {english} — lease #{lease.pk}"
    assert chinese in subjects[p.owner.email]
    assert all(subject.count(f"#{lease.pk}") == 1 for subject in subjects.values()), subjects


def test_a_dispute_lost_before_release_is_paid_from_escrow(stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    fake.dispute_close(dispute["id"], "lost")
    deliver("charge.dispute.closed")

    escrow = lease.escrow
    escrow.refresh_from_db()
    assert escrow.frozen is True  # stays frozen: staff decide what happens to the lease
    assert ledger.escrow_held(escrow) == 0
    assert ledger.account_balance(chargeback_account(escrow), "EUR") == 0
    assert ledger.account_balance(CHARGEBACK_LOSS, "EUR") == 0
    assert not TransferReversal.objects.exists()
    gateway_in_step(fake)


def test_a_dispute_lost_after_release_reverses_the_owners_transfer(
    stripe_mode, deliver, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake, price_per_unit_day=Decimal("3.00"))
    lease = released(p, fake, django_capture_on_commit_callbacks)
    escrow = lease.escrow
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    fake.dispute_close(dispute["id"], "lost")
    deliver("charge.dispute.closed")

    [reversal] = TransferReversal.objects.all()
    assert reversal.idempotency_key == f"escrow:{escrow.pk}:chargeback:{dispute['id']}:reversal"
    assert (reversal.status, reversal.amount) == (ReversalStatus.SUCCEEDED, lease.owner_amount)
    [at_stripe] = fake.reversals
    assert at_stripe["amount"] == to_minor(lease.owner_amount, "EUR")
    assert fake.requests[-1].idempotency_key == reversal.idempotency_key
    assert ledger.account_balance(receivable_owner(p.owner_org.pk), "EUR") == 0  # recovered in full
    assert ledger.account_balance(CHARGEBACK_LOSS, "EUR") == lease.platform_fee  # the fee we earned, lost
    assert ledger.account_balance(chargeback_account(escrow), "EUR") == 0
    gateway_in_step(fake)


def test_a_failed_reversal_is_retried_by_the_sweep_and_a_lost_answer_by_the_webhook(
    stripe_mode, deliver, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = released(p, fake, django_capture_on_commit_callbacks)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    fake.dispute_close(dispute["id"], "lost")
    fake.fail_next(status=500)
    deliver("charge.dispute.closed")

    reversal = TransferReversal.objects.get()
    assert reversal.status == ReversalStatus.FAILED
    assert ledger.account_balance(receivable_owner(p.owner_org.pk), "EUR") == lease.owner_amount
    gateway_in_step(fake)  # nothing moved at Stripe either

    fake.timeout_next(applied=True)  # the reversal happens; its answer is lost
    assert chargebacks_recover() == 0
    assert len(fake.reversals) == 1
    deliver("transfer.reversed")  # Stripe tells us; the same key replays the answer

    reversal.refresh_from_db()
    assert reversal.status == ReversalStatus.SUCCEEDED
    assert len(fake.reversals) == 1
    assert chargebacks_recover() == 0
    gateway_in_step(fake)


def test_a_lost_dispute_pays_a_refund_stripe_refused_while_it_was_open(stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    escrow = lease.escrow
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    refund = escrow_refund(escrow=escrow, exporter=p.exporter_org, amount=Decimal("5.00"), reason="test", key="k:1")
    assert refund_execute(refund=refund).status != RefundStatus.SUCCEEDED
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED  # Stripe: the charge is disputed

    fake.dispute_close(dispute["id"], "lost")
    deliver("charge.dispute.closed")

    refund.refresh_from_db()
    assert (refund.status, refund.processor_id) == (RefundStatus.SUCCEEDED, dispute["id"])
    assert ledger.account_balance(ledger.refund_exporter(p.exporter_org.pk), "EUR") == 0
    assert ledger.escrow_held(escrow) == 0
    assert fake.refunds == []  # the exporter got the money once, through the chargeback
    gateway_in_step(fake)


def test_a_payout_waiting_for_the_owner_is_reversed_once_it_is_paid(
    stripe_mode, deliver, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake, payouts_enabled=False)
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert Payout.objects.get().status == PayoutStatus.WAITING
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver("charge.dispute.created")
    fake.dispute_close(dispute["id"], "lost")
    deliver("charge.dispute.closed")
    assert ledger.account_balance(receivable_owner(p.owner_org.pk), "EUR") == lease.owner_amount
    assert not TransferReversal.objects.exists()

    account = PayoutAccount.objects.get(organisation=p.owner_org)
    fake.account_set(account.account_id, payouts_enabled=True)
    deliver("account.updated")
    assert Payout.objects.get().status == PayoutStatus.PAID

    assert chargebacks_recover() == 1
    assert ledger.account_balance(receivable_owner(p.owner_org.pk), "EUR") == 0
    gateway_in_step(fake)


def test_closed_before_created_ends_the_same_as_in_order(stripe_mode, client, django_capture_on_commit_callbacks):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    fake.dispute_close(dispute["id"], "won")
    closed = events_of(fake, "charge.dispute.closed")[0]
    created = events_of(fake, "charge.dispute.created")[0]

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, fake, closed).status_code == 200
        assert post_event(client, fake, created).status_code == 200

    lease.escrow.refresh_from_db()
    assert lease.escrow.frozen is False
    assert Chargeback.objects.get().status == ChargebackStatus.WON
    gateway_in_step(fake)


def test_a_dispute_on_an_unknown_charge_answers_500_so_stripe_retries(stripe_mode, client):
    client.raise_request_exception = False
    event = {
        "id": "evt_unknown",
        "object": "event",
        "type": "charge.dispute.created",
        "data": {"object": {"id": "dp_x", "object": "dispute", "amount": 100, "currency": "eur", "charge": "ch_x"}},
    }

    assert post_event(client, stripe_mode, event).status_code == 500
    assert "no succeeded payment" in WebhookEvent.objects.get().error


def test_an_inquiry_moves_no_money(stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    dispute["status"] = "warning_needs_response"
    fake.events.clear()
    fake._emit("charge.dispute.created", dispute)
    deliver("charge.dispute.created")

    assert not Chargeback.objects.exists()


def test_payouts_retry_still_pays_a_failed_payout_of_an_unfrozen_escrow(
    stripe_mode, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.CHECKED_IN)
    fake.fail_next(status=503)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert payouts_retry() == 1
    gateway_in_step(fake)
