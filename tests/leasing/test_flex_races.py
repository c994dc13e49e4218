"""Acceptance 2 of #7 on PostgreSQL, with real threads and connections: two receivers taking the
same transfer offer, and a transfer completing while the original lease is cancelled."""

import pytest
from django.db import connection

from escrow import ledger
from escrow.models import Refund
from escrow.processor import payouts_retry, refunds_retry
from leasing import services, transfers
from leasing.choices import LeaseState as S
from leasing.choices import TransferState
from leasing.exceptions import InvalidTransition, TransferNotOpen
from leasing.models import Lease, LeaseTransfer
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.leasing.factories import Parties
from tests.leasing.test_races import race
from tests.warehouses.factories import days_from_now

from .test_flex_property import check_capacity, check_money

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


def receiver():
    organisation = ExporterOrganisationFactory()
    return organisation, member_of(organisation)


@pytest.mark.parametrize("attempt", range(5))
def test_two_receivers_taking_the_same_offer_have_one_winner(attempt):
    p = Parties(transfers_need_consent=False)
    lease = p.lease_in(S.FUNDED, start=days_from_now(5), end=days_from_now(40))
    price = transfers.transfer_value(lease, quantity=2, start=lease.start).value
    offer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=2, start=lease.start, price=price)
    (first, first_user), (second, second_user) = receiver(), receiver()

    results = race(
        lambda: transfers.transfer_accept(transfer=offer, by=first_user, organisation=first),
        lambda: transfers.transfer_accept(transfer=offer, by=second_user, organisation=second),
    )

    winners = [r for r in results if isinstance(r, LeaseTransfer)]
    assert len(winners) == 1, results
    assert any(isinstance(r, TransferNotOpen) for r in results), results
    offer.refresh_from_db()
    assert offer.state == TransferState.APPROVED
    assert offer.receiver in (first, second)
    assert Lease.objects.filter(parent=lease).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_a_transfer_completing_while_the_original_is_cancelled_loses_nothing(attempt):
    p = Parties(transfers_need_consent=False, cancellation_policy="flexible")
    lease = p.lease_in(S.FUNDED, start=days_from_now(5), end=days_from_now(40), quantity=2)
    organisation, user = receiver()
    price = transfers.transfer_value(lease, quantity=1, start=lease.start).value
    offer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=1, start=lease.start, price=price)
    new_lease = transfers.transfer_accept(transfer=offer, by=user, organisation=organisation).new_lease

    paid, cancelled = race(
        lambda: services.lease_pay(lease=new_lease, by=user, payment_method="pm_card_visa"),
        lambda: services.lease_cancel(lease=lease, by=p.exporter, side="exporter"),
    )
    payouts_retry()
    refunds_retry()

    lease.refresh_from_db()
    new_lease.refresh_from_db()
    offer.refresh_from_db()
    assert lease.state == S.CANCELLED, cancelled  # the cancellation always goes through, first or second
    if offer.state == TransferState.COMPLETED:  # the transfer won: then the cancellation of the rest
        assert new_lease.state == S.FUNDED
        assert ledger.escrow_held(new_lease.escrow) == new_lease.total
    else:  # the cancellation won: the receiver's lease is cancelled and any payment refunded in full
        assert offer.state == TransferState.LAPSED
        assert new_lease.state == S.CANCELLED
        assert isinstance(paid, InvalidTransition) or (
            Refund.objects.get(escrow=new_lease.escrow).amount == new_lease.total
        ), paid
        assert ledger.escrow_held(new_lease.escrow) == 0
    assert ledger.escrow_held(lease.escrow) == 0
    check_capacity(p.listing)
    check_money()
