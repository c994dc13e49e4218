"""Races on PostgreSQL with real threads and connections: exactly one winner each time."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from escrow.models import Payout
from escrow.processor import payouts_retry
from leasing import services
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidTransition
from leasing.models import Lease, LeaseEvent
from tests.leasing.factories import Parties
from trust import services as trust_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


def race(*actions):
    """Run the actions at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, action):
        barrier.wait()
        try:
            results[i] = action()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_accept_racing_hold_expiry_has_one_winner(attempt):
    p = Parties()
    lease = p.request()
    Lease.objects.filter(pk=lease.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))

    accepted, expired = race(lambda: p.accept(lease), services.leases_expire_holds)

    lease.refresh_from_db()
    winners = [isinstance(accepted, Lease), expired == 1]
    assert winners.count(True) == 1, (accepted, expired)
    if lease.state == S.ACCEPTED:
        assert isinstance(accepted, Lease)
    else:
        assert lease.state == S.EXPIRED
        assert isinstance(accepted, InvalidTransition)
    assert LeaseEvent.objects.filter(lease=lease, from_state=S.REQUESTED).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_confirm_racing_auto_confirm_racing_late_dispute_has_one_winner(attempt):
    p = Parties()
    lease = p.lease_in(S.CHECKED_IN)
    Lease.objects.filter(pk=lease.pk).update(confirm_by=timezone.now() - timedelta(seconds=1))
    # The window has just closed: the exporter's confirm and the sweep's auto-confirm race, and a
    # late dispute joins them (refused: the window is closed, or the lease already moved on).
    race(
        lambda: p.confirm(lease),
        services.leases_auto_confirm,
        lambda: trust_services.dispute_open(lease=lease, by=p.exporter, reason="late count"),
    )

    lease.refresh_from_db()
    transitions = LeaseEvent.objects.filter(lease=lease, from_state=S.CHECKED_IN)
    assert transitions.count() == 1
    assert lease.state == S.ACTIVE
    payouts_retry()
    assert Payout.objects.filter(escrow__lease=lease).count() == 1
    assert Payout.objects.get(escrow__lease=lease).status == "paid"


@pytest.mark.parametrize("attempt", range(5))
def test_confirm_racing_dispute_inside_the_window_has_one_winner(attempt):
    p = Parties()
    lease = p.lease_in(S.CHECKED_IN)

    confirmed, disputed = race(
        lambda: p.confirm(lease),
        lambda: trust_services.dispute_open(lease=lease, by=p.exporter, reason="two boxes short"),
    )

    lease.refresh_from_db()
    assert LeaseEvent.objects.filter(lease=lease, from_state=S.CHECKED_IN).count() == 1
    if lease.state == S.ACTIVE:
        assert isinstance(disputed, InvalidTransition)
        assert Payout.objects.filter(escrow__lease=lease).count() == 1
    else:
        assert lease.state == S.DISPUTED
        assert isinstance(confirmed, InvalidTransition)
        assert not Payout.objects.filter(escrow__lease=lease).exists()
