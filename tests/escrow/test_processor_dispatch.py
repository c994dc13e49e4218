"""Posting a release or a refund schedules its own processor call after commit: no caller pairs them."""

from decimal import Decimal

import pytest
from django.db import transaction

from escrow import ledger
from escrow.choices import PayoutStatus, RefundStatus
from escrow.services import escrow_refund, escrow_release
from leasing.choices import LeaseState as S

pytestmark = pytest.mark.django_db


def test_a_refund_posted_in_a_transaction_reaches_the_card_when_it_commits(p, django_capture_on_commit_callbacks):
    escrow = p.lease_in(S.FUNDED).escrow
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            refund = escrow_refund(
                escrow=escrow, exporter=p.exporter_org, amount=Decimal("5.00"), reason="t", key="k:refund"
            )
        refund.refresh_from_db()
        assert refund.status == RefundStatus.PENDING  # nothing at the processor before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert ledger.account_balance(ledger.refund_exporter(p.exporter_org.pk), escrow.currency) == 0


def test_a_release_posted_twice_pays_the_owner_once(p, django_capture_on_commit_callbacks):
    escrow = p.lease_in(S.FUNDED).escrow
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(2):
            payout = escrow_release(
                escrow=escrow, owner=p.owner_org, owner_amount=Decimal("9.00"), platform_fee=Decimal("1.00")
            )
    assert len(callbacks) == 2  # each posting schedules its call; the key makes the second a no-op
    payout.refresh_from_db()
    assert (payout.status, payout.amount) == (PayoutStatus.PAID, Decimal("9.00"))
    assert escrow.payouts.count() == 1
    assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), escrow.currency) == 0
