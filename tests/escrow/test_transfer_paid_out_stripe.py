"""Issue #18 against Stripe (the fake, through the real SDK): a transfer of days already paid out.
The receiver's charge pays the transferring exporter back: the refund goes to the exporter's own
charge, the owner's transfer is untouched, and reconciliation finds nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from escrow import ledger
from escrow.choices import RefundStatus
from escrow.models import Payout, Refund
from escrow.reconcile import escrow_reconcile_all
from leasing import services, transfers
from leasing.choices import InstalmentStatus, TransferState
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.warehouses.factories import days_from_now

from .helpers import stripe_parties

pytestmark = pytest.mark.django_db


def test_a_paid_out_transfer_refunds_the_exporters_own_charge_and_reconciles(
    stripe_mode, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake, transfers_need_consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(20), quantity=4)
    assert lease.instalments.get().status == InstalmentStatus.RELEASED
    payouts = list(Payout.objects.values_list("processor_id", "amount", "status"))
    assert len(payouts) == 1
    original_charge = fake.succeeded_charges[0]["id"]
    start = lease.start + timedelta(days=6)
    quote = transfers.transfer_value(lease, quantity=4, start=start)
    receiver = ExporterOrganisationFactory()
    user = member_of(receiver)

    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=4, start=start, price=quote.cost)
        transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=receiver)
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")

    transfer.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    refund = Refund.objects.get(escrow=lease.escrow)
    assert (refund.amount, refund.status) == (quote.refund, RefundStatus.SUCCEEDED)
    at_stripe = fake.get(refund.processor_id)
    assert at_stripe["charge"] == original_charge  # back to the card that paid the lease
    assert Decimal(at_stripe["amount"]) / 100 == quote.refund
    assert len(fake.succeeded_charges) == 2  # the receiver's charge
    assert list(Payout.objects.values_list("processor_id", "amount", "status")) == payouts  # the owner's untouched
    new_lease = Lease.objects.get(pk=transfer.new_lease_id)
    assert ledger.escrow_held(lease.escrow) == ledger.escrow_held(new_lease.escrow) == 0
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}
    assert escrow_reconcile_all() == []
