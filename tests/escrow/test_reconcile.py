"""``escrow_reconcile`` against the fake Stripe: clean leases agree, and every injected mismatch is found."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from common.money import Money
from escrow.models import Payout
from escrow.processor import refund_execute
from escrow.reconcile import escrow_reconcile, escrow_reconcile_all, escrow_reconcile_sweep
from escrow.services import escrow_refund
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties

from .helpers import stripe_parties

pytestmark = pytest.mark.django_db


def reconcile() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("escrow_reconcile", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def problems(lease) -> set[tuple[str, str]]:
    return {(d.kind, d.problem) for d in escrow_reconcile(escrow=lease.escrow)}


@pytest.fixture
def active(stripe_mode, django_capture_on_commit_callbacks):
    """A lease paid, released and transferred on the fake, with a partial refund on top."""
    fake = stripe_mode
    p = stripe_parties(fake, price_per_unit_day=Decimal("2.00"))
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    return p, lease


def test_a_clean_lease_has_no_difference(active, stripe_mode):

    assert escrow_reconcile_all() == []
    code, output = reconcile()
    assert code == 0
    assert "1 lease(s) reconciled against the stripe gateway: no differences" in output
    assert escrow_reconcile_sweep() == 0


def test_a_missing_transfer_is_found(active, stripe_mode):
    _, lease = active
    stripe_mode.transfers.clear()  # the ledger says transferred; Stripe has no transfer

    assert problems(lease) == {("transfer", "total"), ("transfer", "missing_at_processor")}
    code, output = reconcile()
    assert code == 1
    assert f"lease {lease.pk} transfer missing_at_processor" in output
    assert "1 difference" not in output  # two of them, counted
    assert "2 difference(s)" in output


def test_a_double_refund_is_found(active, stripe_mode, stripe_gateway):
    p, _ = active
    lease = p.lease_in(S.FUNDED)
    escrow = lease.escrow
    refund = escrow_refund(escrow=escrow, exporter=p.exporter_org, amount=Decimal("5.00"), reason="t", key="k:1")
    refund_execute(refund=refund)
    assert problems(lease) == set()
    # the same refund again at Stripe under a new key (e.g. a retry after the 24-hour key expiry)
    stripe_gateway.refund(
        charge_id=escrow.payments.get().charge_id, amount=Money(Decimal("5.00"), "EUR"), idempotency_key="k:1:again"
    )

    assert problems(lease) == {("refund", "total"), ("refund", "unknown_to_wareshare")}
    assert reconcile()[0] == 1


def test_a_wrong_amount_is_found(active, stripe_mode):
    _, lease = active
    charge = stripe_mode.succeeded_charges[0]
    charge["amount_captured"] -= 1  # Stripe captured one cent less than the ledger funded

    found = escrow_reconcile(escrow=lease.escrow)
    assert {(d.kind, d.problem) for d in found} == {("charge", "total"), ("charge", "amount")}
    [amount] = [d for d in found if d.problem == "amount"]
    assert charge["id"] in amount.detail
    assert reconcile()[0] == 1


def test_a_reversal_made_in_the_dashboard_and_an_undelivered_dispute_are_found(active, stripe_mode, stripe_gateway):
    _, lease = active
    fake = stripe_mode
    stripe_gateway.reverse_transfer(
        transfer_id=fake.transfers[0]["id"], amount=Money(Decimal("1.00"), "EUR"), idempotency_key="dashboard"
    )
    fake.dispute_create(fake.succeeded_charges[0]["id"])  # its webhook never arrives

    assert problems(lease) == {
        ("reversal", "total"),
        ("reversal", "unknown_to_wareshare"),
        ("dispute", "total"),
        ("dispute", "unknown_to_wareshare"),
        ("dispute_fee", "total"),  # and the dispute fee Stripe took with it
        ("dispute_fee", "unknown_to_wareshare"),
    }


def test_an_unbalanced_or_negative_ledger_is_reported():
    from escrow.models import LedgerEntry, Posting

    posting = Posting.objects.create(idempotency_key="bad", description="written around ledger_post", currency="EUR")
    LedgerEntry.objects.create(posting=posting, account="gateway", amount=Decimal("1.00"), currency="EUR")

    code, output = reconcile()
    assert code == 1
    assert "ledger ledger unbalanced: entries in EUR sum to 1.00" in output


def test_on_the_simulated_gateway_rows_and_ledger_are_compared(django_capture_on_commit_callbacks):
    p = Parties()
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert escrow_reconcile_all() == []

    Payout.objects.filter(escrow=lease.escrow).update(amount=lease.owner_amount + 1)

    assert problems(lease) == {("transfer", "total")}


def test_a_dispute_closed_at_stripe_but_not_here_is_found(active, stripe_mode, client):
    from .helpers import events_of, post_event

    _, lease = active
    fake = stripe_mode
    dispute = fake.dispute_create(fake.succeeded_charges[0]["id"])
    post_event(client, fake, events_of(fake, "charge.dispute.created")[0])
    assert problems(lease) == set()
    fake.dispute_close(dispute["id"], "won")  # the closed event has not arrived

    assert problems(lease) == {("dispute", "total"), ("dispute", "status")}
