"""Issue #18 on the real Stripe SDK against the in-process fake: the first payment saves the card on a
customer, later months are off-session PaymentIntents, and timeouts, duplicate webhooks and a bank
asking for authentication never take a month twice (tests/leasing/test_monthly_billing.py: the rest)."""

from decimal import Decimal

import pytest

from escrow import ledger
from escrow.choices import PaymentStatus
from escrow.models import Payment, Payout, Refund
from leasing import services
from leasing.choices import InstalmentStatus
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.leasing.factories import Parties
from tests.leasing.test_monthly_billing import active, clock, monthly_lease, succeeded, walk_days
from warehouses.dates import warehouse_today

from .fake_stripe import FakeStripe
from .helpers import events_of, process_event, stripe_parties

pytestmark = pytest.mark.django_db
__all__ = ["clock"]  # the fixture


def stripe_monthly(fake: FakeStripe) -> tuple[Parties, Lease]:
    p = stripe_parties(fake, price_per_unit_day=Decimal("2.00"), handling_in_fee=Decimal("1.00"))
    return p, monthly_lease(p, start_in=1)


def test_on_stripe_the_first_payment_saves_the_card_and_each_month_is_charged_off_session(
    stripe_mode, clock, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p, lease = stripe_monthly(fake)
    with django_capture_on_commit_callbacks(execute=True):
        lease = active(p, lease)
    [customer] = fake.customers
    first = fake.payment_intents[0]
    assert first["customer"] == customer["id"]
    assert first["setup_future_usage"] == "off_session"
    assert fake.attached == {"pm_card_visa": customer["id"]}
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, 105)
    lease.refresh_from_db()
    assert lease.state == S.COMPLETED
    later = fake.payment_intents[1:]
    assert [intent["amount"] for intent in later] == [
        int(i.gross * 100) for i in lease.instalments.filter(sequence__gt=1).order_by("sequence")
    ]
    requests = [r for r in fake.requests if r.path == "/v1/payment_intents" and r.params.get("off_session")]
    assert len(requests) == 3
    assert all(r.params["off_session"] == "true" and r.params["confirm"] == "true" for r in requests)
    assert all(r.params["customer"] == customer["id"] for r in requests)
    # Each release was paid from the charge of its own month.
    charge_of = {p.instalment: p.charge_id for p in succeeded(lease)}
    payouts = {payout.sequence: payout.processor_id for payout in Payout.objects.filter(escrow=lease.escrow)}
    for sequence, transfer_id in payouts.items():
        assert fake.get(transfer_id)["source_transaction"] == charge_of[sequence]
    assert fake.balance("eur") == int((lease.total - lease.owner_amount) * 100)
    assert ledger.ledger_totals() == {"EUR": 0}


def test_on_stripe_a_timeout_and_duplicate_webhooks_never_take_a_month_twice(
    stripe_mode, stripe_gateway, clock, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p, lease = stripe_monthly(fake)
    with django_capture_on_commit_callbacks(execute=True):
        lease = active(p, lease)
    second = lease.instalments.get(sequence=2)
    days = (second.start - warehouse_today(lease.listing.warehouse)).days - services.CHARGE_DAYS_BEFORE
    fake.timeout_next(1, applied=True)  # charged at Stripe, the answer lost
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, days)
    [payment] = Payment.objects.filter(escrow__lease=lease, instalment=2)
    assert payment.status == PaymentStatus.UNKNOWN
    assert len(fake.succeeded_charges) == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.leases_charge_due()  # resent with the same key: Stripe replays its answer
        for event in events_of(fake, "payment_intent.succeeded") * 2:  # every webhook, twice
            process_event(stripe_gateway, fake, event)
    payment.refresh_from_db()
    second.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert second.status == InstalmentStatus.SCHEDULED
    assert len(fake.succeeded_charges) == 2  # month 1 and month 2, once each
    keys = [r.idempotency_key for r in fake.requests if r.path == "/v1/payment_intents"]
    assert keys.count(payment.idempotency_key) == 2
    assert Payment.objects.filter(escrow__lease=lease).count() == 2
    assert ledger.escrow_held(lease.escrow) == second.gross  # month 1 released at confirmation
    assert not Refund.objects.exists()


def test_on_stripe_a_card_needing_authentication_is_paid_by_hand_with_3d_secure(
    stripe_mode, clock, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p, lease = stripe_monthly(fake)
    with django_capture_on_commit_callbacks(execute=True):
        lease = active(p, lease)
    fake.card_fail("pm_card_visa", "authentication_required")
    second = lease.instalments.get(sequence=2)
    days = (second.start - warehouse_today(lease.listing.warehouse)).days - services.CHARGE_DAYS_BEFORE
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, days)
    [failed] = Payment.objects.filter(escrow__lease=lease, instalment=2)
    assert failed.status == PaymentStatus.FAILED
    assert fake.payment_intents[-1]["last_payment_error"]["code"] == "authentication_required"

    payment = services.instalment_pay(lease=lease, by=p.exporter, payment_method="pm_card_visa")
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert payment.customer
    fake.authenticate(payment.processor_id)
    services.lease_pay_finalize(lease=lease, by=p.exporter, payment_id=payment.processor_id)
    second.refresh_from_db()
    assert second.status == InstalmentStatus.SCHEDULED
    assert len(fake.succeeded_charges) == 2


def test_on_stripe_a_shortened_lease_cancelled_refunds_the_month_held_and_reconciles(
    stripe_mode, django_capture_on_commit_callbacks
):
    from escrow.reconcile import escrow_reconcile_all
    from leasing.core import lease_lock

    fake = stripe_mode
    p, lease = stripe_monthly(fake)
    with django_capture_on_commit_callbacks(execute=True):
        p.pay(lease)
    lease.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        locked = lease_lock(lease)
        services.lease_shorten(locked.lease, lease.instalments.get(sequence=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_cancel(lease=lease, by=p.exporter, side="exporter")
    assert ledger.ledger_totals() == {"EUR": 0}
    assert ledger.escrow_held(lease.escrow) == 0
    differences = escrow_reconcile_all()
    assert differences == [], [str(d) for d in differences]


@pytest.mark.parametrize("monthly", [False, True])
def test_a_payment_webhook_replayed_after_the_lease_was_cancelled_changes_nothing(
    stripe_mode, stripe_gateway, django_capture_on_commit_callbacks, monthly
):
    """Found by the state machine: the late-payment refund must not run again for a payment that
    funded the lease before it was cancelled (escrow would pay out more than it holds)."""
    from escrow.models import Posting

    fake = stripe_mode
    p = stripe_parties(fake, price_per_unit_day=Decimal("2.00"))
    lease = monthly_lease(p, start_in=20) if monthly else p.accept(p.request(start=None, end=None))
    with django_capture_on_commit_callbacks(execute=True):
        p.pay(lease)
        if monthly:
            services.instalment_pay(lease=Lease.objects.get(pk=lease.pk), by=p.exporter, payment_method="pm_card_visa")
        services.lease_cancel(lease=lease, by=p.exporter, side="exporter")
    postings = Posting.objects.count()
    refunds = list(Refund.objects.values_list("idempotency_key", "amount"))
    with django_capture_on_commit_callbacks(execute=True):
        for event in events_of(fake, "payment_intent.succeeded"):
            process_event(stripe_gateway, fake, {**event, "id": event["id"] + "_again"})
    assert Posting.objects.count() == postings
    assert list(Refund.objects.values_list("idempotency_key", "amount")) == refunds
    assert ledger.escrow_held(lease.escrow) == 0
