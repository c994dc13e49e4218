"""Two Celery workers running the same sweep at the same moment, on PostgreSQL with real threads and
separate connections: every lease is handled exactly once, and every release pays out once."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from common.tasks import run_sweep
from escrow.models import PayoutAccount, Posting
from leasing.choices import LeaseState as S
from leasing.models import Lease, LeaseEvent
from tests.escrow.factories import PayoutAccountFactory
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 2
LISTINGS = 3
LEASES_PER_LISTING = 4  # several leases per listing: the workers also contend for the listing lock


def side_by_side(action: Callable[[], object], workers: int = WORKERS) -> list[object]:
    """Run ``action`` in ``workers`` threads released at the same instant; each has its own connection."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action()
        except Exception as error:  # reported by the assertion below, with the others' results
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(isinstance(result, Exception) for result in results), results
    return results


def leases_in(state: str) -> tuple[list[Parties], list[Lease]]:
    parties, leases = [], []
    for _ in range(LISTINGS):
        p = Parties()
        parties.append(p)
        for n in range(LEASES_PER_LISTING):
            start = days_from_now(3 + n)
            leases.append(p.lease_in(state, start=start, end=start + timedelta(days=5), quantity=2))
    return parties, leases


def sweep(path: str) -> Callable[[], object]:
    """What a worker runs for a beat entry: the Celery task, called in the worker's thread."""
    return lambda: run_sweep(path)


def transitions(leases: list[Lease], from_state: str, to_state: str) -> dict[int, int]:
    events = LeaseEvent.objects.filter(lease__in=leases, from_state=from_state, to_state=to_state)
    return {lease.pk: events.filter(lease=lease).count() for lease in leases}


def test_two_workers_auto_confirm_each_lease_once_and_pay_it_out_once():
    _, leases = leases_in(S.CHECKED_IN)
    Lease.objects.filter(pk__in=[lease.pk for lease in leases]).update(confirm_by=timezone.now() - timedelta(seconds=1))

    handled = side_by_side(sweep("leasing.services.leases_auto_confirm"))

    assert sum(handled) == len(leases), handled  # type: ignore[arg-type]
    assert set(transitions(leases, S.CHECKED_IN, S.ACTIVE).values()) == {1}
    for lease in leases:
        lease.refresh_from_db()
        assert lease.state == S.ACTIVE
        escrow = lease.escrow
        assert escrow.payouts.count() == 1
        assert escrow.payouts.get().status == "paid"
        assert Posting.objects.filter(idempotency_key=f"escrow:{escrow.pk}:release:1").count() == 1
        assert Posting.objects.filter(idempotency_key=f"escrow:{escrow.pk}:release:1:paid").count() == 1


def test_two_workers_expire_each_hold_once_and_free_its_capacity_once():
    parties, leases = leases_in(S.REQUESTED)
    Lease.objects.filter(pk__in=[lease.pk for lease in leases]).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    handled = side_by_side(sweep("leasing.services.leases_expire_holds"))

    assert sum(handled) == len(leases), handled  # type: ignore[arg-type]
    assert set(transitions(leases, S.REQUESTED, S.EXPIRED).values()) == {1}
    for p in parties:
        assert not p.listing.days.filter(reserved__gt=0).exists()


def test_two_workers_complete_each_lease_once():
    _, leases = leases_in(S.ACTIVE)
    today = days_from_now(0)
    Lease.objects.filter(pk__in=[lease.pk for lease in leases]).update(
        start=today - timedelta(days=10), end=today - timedelta(days=1)
    )

    handled = side_by_side(sweep("leasing.services.leases_complete"))

    assert sum(handled) == len(leases), handled  # type: ignore[arg-type]
    assert set(transitions(leases, S.ACTIVE, S.COMPLETED).values()) == {1}


def test_two_workers_retrying_the_same_payouts_transfer_each_once():
    parties, leases = leases_in(S.CHECKED_IN)
    PayoutAccount.objects.all().delete()  # releases wait for the owners' payout accounts
    for lease, p in zip(leases, [p for p in parties for _ in range(LEASES_PER_LISTING)], strict=True):
        p.confirm(lease)
    for p in parties:
        PayoutAccountFactory(organisation=p.owner_org)

    side_by_side(sweep("escrow.processor.payouts_retry"))

    for lease in leases:
        escrow = Lease.objects.get(pk=lease.pk).escrow
        assert [payout.status for payout in escrow.payouts.all()] == ["paid"]
        assert Posting.objects.filter(idempotency_key=f"escrow:{escrow.pk}:release:1:paid").count() == 1
