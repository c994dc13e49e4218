"""A payment that succeeds after another attempt already paid the lease is refunded to its own card,
never added to the escrow (issue: "money that works across borders", the late second payment)."""

import pytest

from escrow import ledger
from escrow.choices import PaymentStatus, RefundStatus
from escrow.models import Payment, Refund
from escrow.reconcile import escrow_reconcile_all
from leasing.choices import LeaseState as S
from leasing.models import Lease

from .helpers import events_of, money_hash, post_event, stripe_parties

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_twice(client, stripe_mode, django_capture_on_commit_callbacks):
    """3-D Secure fails on the first attempt, a second card pays the lease, then the payer confirms
    the first attempt again in the browser and it succeeds: its webhook arrives last."""
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    first = p.pay(lease, payment_method="pm_card_authenticationRequired")
    fake.authenticate(first.processor_id, succeed=False)
    for event in events_of(fake, "payment_intent.payment_failed"):
        assert post_event(client, fake, event).status_code == 200
    second = p.pay(lease, payment_method="pm_card_visa")
    assert second.status == PaymentStatus.SUCCEEDED
    fake.confirm_again(first.processor_id)
    late = events_of(fake, "payment_intent.succeeded")[-1]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, fake, late)
    assert response.status_code == 200, response.content
    return fake, p, Lease.objects.get(pk=lease.pk), first, second, late


def test_a_late_second_payment_is_refunded_in_full_to_its_own_card(paid_twice):
    fake, p, lease, first, second, _late = paid_twice
    first.refresh_from_db()
    assert first.status == PaymentStatus.DUPLICATE
    assert lease.state == S.FUNDED
    # the escrow holds exactly one payment; the duplicate passed through it and went back
    assert -ledger.account_balance(lease.escrow.account, lease.currency) == lease.total
    refund = Refund.objects.get(payment=first)
    assert (refund.amount, refund.status, refund.organisation) == (first.amount, RefundStatus.SUCCEEDED, p.exporter_org)
    refunded = fake.get(refund.processor_id)
    assert refunded["charge"] == first.charge_id != second.charge_id
    assert ledger.account_balance(ledger.refund_exporter(p.exporter_org.pk), lease.currency) == 0
    assert escrow_reconcile_all() == []
    assert "refunded in full" in lease.events.order_by("-pk").first().note


def test_the_late_payment_webhook_replayed_changes_nothing(client, paid_twice, django_capture_on_commit_callbacks):
    fake, _p, _lease, _first, _second, late = paid_twice
    before = money_hash()
    for copy in (late, {**late, "id": f"{late['id']}_again"}):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(client, fake, copy).status_code == 200
    assert money_hash() == before
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    assert Refund.objects.count() == 1
