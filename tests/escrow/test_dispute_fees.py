"""Stripe's dispute fee: posted once to the lease's ledger when the funds are withdrawn, the reverse
once if Stripe returns it, and compared by reconciliation (kind ``dispute_fee``)."""

import copy
from decimal import Decimal

import pytest
from django.core import mail

from common.money import to_minor
from escrow import ledger
from escrow.chargebacks import chargeback_account, chargeback_record
from escrow.choices import ChargebackStatus
from escrow.models import Chargeback, LedgerEntry, Payment, Posting
from escrow.reconcile import escrow_reconcile, escrow_reconcile_all
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties

from .helpers import events_of, money_hash, money_state, post_event, stripe_parties

pytestmark = pytest.mark.django_db

DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
)


@pytest.fixture
def deliver(client, stripe_mode, django_capture_on_commit_callbacks):
    """Deliver every event of the given types not yet delivered, in the order they happened."""
    fake = stripe_mode
    delivered: set[str] = set()

    def run(*types: str) -> None:
        for event in fake.events:
            if event["type"] not in types or event["id"] in delivered:
                continue
            delivered.add(event["id"])
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, fake, event)
            assert response.status_code == 200, response.content

    return run


def fee_postings(escrow) -> list[Posting]:
    return list(Posting.objects.filter(escrow=escrow, entries__account=ledger.DISPUTE_FEE).order_by("pk"))


def lines(posting: Posting) -> set[tuple[str, Decimal, str]]:
    return {(e.account, e.amount, e.currency) for e in posting.entries.all()}


def books_agree(fake, currency: str) -> None:
    """The ledger balances, its ``gateway`` equals the fake platform balance, reconciliation is clean."""
    assert ledger.ledger_totals() in ({}, {currency: 0})
    assert to_minor(ledger.account_balance(ledger.GATEWAY, currency), currency) == fake.balance(currency)
    assert escrow_reconcile_all() == []


def problems(lease) -> set[tuple[str, str]]:
    return {(d.kind, d.problem) for d in escrow_reconcile(escrow=lease.escrow)}


@pytest.mark.parametrize(
    ("currency", "fields", "fee"),
    [
        ("EUR", {}, Decimal("20.00")),
        ("USD", {"currency": "USD"}, Decimal("15.00")),
        ("JPY", {"currency": "JPY", "price_per_unit_day": Decimal("300"), "handling_in_fee": Decimal("500")}, 1500),
    ],
)
def test_an_opened_dispute_posts_its_fee_once_against_the_gateway(stripe_mode, deliver, currency, fields, fee):
    fake = stripe_mode
    p = stripe_parties(fake, **fields)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    [withdrawal] = dispute["balance_transactions"]

    deliver("charge.dispute.created", "charge.dispute.funds_withdrawn")

    escrow = lease.escrow
    [posting] = fee_postings(escrow)
    assert posting.idempotency_key == f"escrow:{escrow.pk}:chargeback:{dispute['id']}:fee:{withdrawal['id']}"
    assert posting.currency == currency
    assert lines(posting) == {(ledger.DISPUTE_FEE, fee, currency), (ledger.GATEWAY, -fee, currency)}
    assert ledger.account_balance(ledger.DISPUTE_FEE, currency) == fee
    assert ledger.escrow_held(escrow) == lease.total  # the platform pays the fee, not the escrow
    assert ledger.account_balance(chargeback_account(escrow), currency) == lease.total
    books_agree(fake, currency)


def test_replaying_the_dispute_webhooks_posts_nothing_more(
    client, stripe_mode, deliver, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver(*DISPUTE_EVENTS)
    before, state = money_hash(), money_state()

    for n, event in enumerate(e for e in fake.events if e["type"] in DISPUTE_EVENTS):
        for copy_ in (event, {**event, "id": f"{event['id']}_again{n}"}):  # same id, and the same change anew
            with django_capture_on_commit_callbacks(execute=True):
                assert post_event(client, fake, copy_).status_code == 200
    chargeback_record(dispute=copy.deepcopy(fake.get(dispute["id"])))  # and straight from the object

    assert (money_hash(), money_state()) == (before, state)
    assert len(fee_postings(lease.escrow)) == 1
    books_agree(fake, "EUR")


def test_a_won_dispute_keeps_the_fee_where_stripe_keeps_it(stripe_mode, deliver):
    """Stripe today keeps the "dispute received" fee when the dispute is won (support.stripe.com)."""
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver(*DISPUTE_EVENTS)
    fake.dispute_close(dispute["id"], "won")
    deliver(*DISPUTE_EVENTS)

    assert Chargeback.objects.get().status == ChargebackStatus.WON
    assert len(fee_postings(lease.escrow)) == 1
    assert ledger.account_balance(ledger.DISPUTE_FEE, "EUR") == Decimal("20.00")
    assert ledger.account_balance(chargeback_account(lease.escrow), "EUR") == 0
    assert ledger.escrow_held(lease.escrow) == lease.total
    books_agree(fake, "EUR")


@pytest.mark.parametrize("closed_first", [False, True])
def test_a_fee_stripe_returns_with_a_won_dispute_is_posted_back_once(
    client, stripe_mode, deliver, closed_first, django_capture_on_commit_callbacks
):
    """Where Stripe returns the fee too, the reinstatement's negative fee is posted back, in any order."""
    fake = stripe_mode
    fake.dispute_fee_returned_on_win = True
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    fake.dispute_close(dispute["id"], "won")
    withdrawal, reinstatement = fake.get(dispute["id"])["balance_transactions"]
    if closed_first:
        deliver("charge.dispute.closed")
    deliver(*DISPUTE_EVENTS)
    deliver(*DISPUTE_EVENTS)

    taken, returned = fee_postings(lease.escrow)
    assert taken.idempotency_key.endswith(f":fee:{withdrawal['id']}")
    assert returned.idempotency_key.endswith(f":fee:{reinstatement['id']}")
    assert lines(returned) == {
        (ledger.GATEWAY, Decimal("20.00"), "EUR"),
        (ledger.DISPUTE_FEE, Decimal("-20.00"), "EUR"),
    }
    assert ledger.account_balance(ledger.DISPUTE_FEE, "EUR") == 0
    for event in events_of(fake, "charge.dispute.closed"):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(client, fake, {**event, "id": event["id"] + "_again"}).status_code == 200
    assert len(fee_postings(lease.escrow)) == 2
    books_agree(fake, "EUR")


def test_a_lost_dispute_keeps_the_fee_and_the_books_agree(stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver(*DISPUTE_EVENTS)
    fake.dispute_close(dispute["id"], "lost")
    deliver(*DISPUTE_EVENTS)

    assert len(fee_postings(lease.escrow)) == 1
    assert ledger.account_balance(ledger.DISPUTE_FEE, "EUR") == Decimal("20.00")
    assert ledger.escrow_held(lease.escrow) == 0  # the disputed amount came out of escrow; the fee did not
    books_agree(fake, "EUR")


def test_a_fee_at_stripe_without_its_posting_is_reported(
    client, stripe_mode, deliver, django_capture_on_commit_callbacks
):
    """``charge.dispute.created`` may come before the funds are withdrawn (no balance transaction
    yet): the dispute is recorded, the fee is not, and reconciliation says so until it is."""
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    fake.dispute_create(fake.succeeded_charges[0]["id"])
    [created] = events_of(fake, "charge.dispute.created")
    early = copy.deepcopy(created)
    early["data"]["object"]["balance_transactions"] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, fake, early).status_code == 200

    assert Chargeback.objects.exists()
    assert fee_postings(lease.escrow) == []
    assert problems(lease) == {("dispute_fee", "total"), ("dispute_fee", "unknown_to_wareshare")}
    [unknown] = [d for d in escrow_reconcile(escrow=lease.escrow) if d.problem == "unknown_to_wareshare"]
    assert "txn_" in unknown.detail

    deliver("charge.dispute.funds_withdrawn")
    assert problems(lease) == set()
    books_agree(fake, "EUR")


def test_a_fee_posting_stripe_does_not_have_is_reported(stripe_mode, deliver):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.FUNDED)
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    deliver(*DISPUTE_EVENTS)
    [withdrawal] = fake.get(dispute["id"])["balance_transactions"]
    withdrawal.update(fee=0, fee_details=[], net=withdrawal["amount"])  # Stripe took no fee after all

    assert problems(lease) == {("dispute_fee", "total"), ("dispute_fee", "missing_at_processor")}


def test_on_the_simulated_gateway_a_dispute_and_its_fee_reconcile():
    p = Parties()
    lease = p.lease_in(S.FUNDED)
    payment = Payment.objects.get(escrow=lease.escrow, status="succeeded")
    minor = to_minor(lease.total, "EUR")
    withdrawal = {"id": "txn_sim1", "object": "balance_transaction", "amount": -minor, "currency": "eur", "fee": 2000}
    dispute = {
        "id": "dp_sim1",
        "object": "dispute",
        "amount": minor,
        "currency": "eur",
        "charge": payment.charge_id,
        "status": "needs_response",
        "balance_transactions": [withdrawal],
    }
    chargeback_record(dispute=dispute)
    mail.outbox.clear()

    assert LedgerEntry.objects.filter(account=ledger.DISPUTE_FEE).count() == 1
    assert escrow_reconcile_all() == []
    chargeback_record(dispute={**dispute, "status": "won"})
    assert escrow_reconcile_all() == []
