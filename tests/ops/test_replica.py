"""The read replica for real: a primary and a streaming hot standby started by scripts/replica.sh.

Runs only under ``make replica-test`` (scripts/replica_test.sh), which starts both clusters, points
DATABASE_URL / DATABASE_REPLICA_URL at them, and fails if any test here is skipped. No pytest-django
test database: the tests use the migrated throwaway primary directly (each with its own city, so they
never see each other's listings) and control the standby's replay (``pg_wal_replay_pause``).
"""

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common import db_router
from common.db_router import replica_health_reset, replica_reads, request_scope
from leasing.models import Lease
from tests.accounts.factories import UserFactory
from tests.helpers import login, url
from tests.leasing.factories import Parties
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.models import Listing

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_URL = os.environ.get("REPLICA_TEST_PRIMARY_URL", "")
REPLICA_URL = os.environ.get("REPLICA_TEST_REPLICA_URL", "")
READY = bool(
    PRIMARY_URL
    and os.environ.get("DATABASE_URL") == PRIMARY_URL
    and os.environ.get("DATABASE_REPLICA_URL") == REPLICA_URL
    and "replica" in settings.DATABASES
)

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(not READY, reason="needs a streaming replica: make replica-test (scripts/replica_test.sh)"),
]
RESULT = re.compile(r'<article class="card result">.*?href="[^"]*/listings/(\d+)/', re.S)


def on(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up() -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = on("default", "SELECT pg_current_wal_lsn()::text")
    for _ in range(300):
        if on("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.1)
    raise AssertionError("the standby did not catch up in 30 s")


def replay(paused: bool) -> None:
    on("replica", "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    want = "paused" if paused else "not paused"
    for _ in range(100):
        if on("replica", "SELECT pg_get_wal_replay_pause_state()") == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"replay is not {want}")


def listing_in(city: str, **fields) -> Listing:
    parties = Parties(listing=ListingFactory(warehouse=WarehouseFactory(city=city), **fields))
    listing = parties.listing
    listing.parties = parties  # type: ignore[attr-defined]
    return listing


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in RESULT.findall(response.content.decode())]


def listing_queries(capture: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in capture.captured_queries if '"warehouses_listing"' in q["sql"]]


@pytest.fixture(autouse=True)
def real_databases(django_db_blocker, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 300
    replica_health_reset()
    UserFactory.reset_sequence(int(time.time() * 1000) % 10**9)  # e-mails unique across runs on one database
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            replay(paused=False)
            connections.close_all()
    replica_health_reset()


@pytest.fixture
def city() -> str:
    return f"Replica {uuid.uuid4().hex[:10]}"


def test_search_and_the_listing_page_read_from_the_replica(city):
    first = listing_in(city)
    caught_up()
    client = Client()

    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        assert shown(client.get(f"/search/?city={city}")) == [first.pk]
        assert client.get(f"/listings/{first.pk}/").status_code == 200
    assert listing_queries(replica), "search and the listing page did not read from the replica"
    assert not listing_queries(primary), listing_queries(primary)

    # Replay paused: a listing committed on the primary is not on the replica, so search does not
    # show it and its page is a 404 there — proof that these pages read the replica.
    replay(paused=True)
    second = listing_in(city)
    assert shown(client.get(f"/search/?city={city}")) == [first.pk]
    assert client.get(f"/listings/{second.pk}/").status_code == 404
    with request_scope(pinned=False):
        with replica_reads():
            assert not Listing.objects.filter(pk=second.pk).exists()  # the replica
            with transaction.atomic():
                assert Listing.objects.filter(pk=second.pk).exists()  # inside a transaction: the primary
        assert Listing.objects.filter(pk=second.pk).exists()  # not opted in: the primary

    replay(paused=False)
    caught_up()
    assert sorted(shown(client.get(f"/search/?city={city}"))) == sorted([first.pk, second.pk])


def test_bookings_write_to_the_primary_and_a_request_reads_its_own_writes(city):
    listing = listing_in(city, capacity=10)
    parties = listing.parties
    caught_up()
    replay(paused=True)  # nothing written from here on can be read back from the replica
    client = login(Client(), parties.exporter)
    form = {
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": "4",
        "goods_description": "Garden chairs, 40 cartons",
    }

    with CaptureQueriesContext(connections["replica"]) as replica:
        response = client.post(url("lease_request", listing.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert replica.captured_queries == []  # a POST reads and writes only the primary
    lease = Lease.objects.get(listing=listing)
    assert lease.quantity == 4
    assert on("replica", f"SELECT count(*) FROM leasing_lease WHERE id = {lease.pk}") == 0

    # The same in process: a service called inside replica_reads runs in its transaction on the
    # primary, and after a write the rest of the request reads the primary too.
    with request_scope(pinned=False), replica_reads():
        with CaptureQueriesContext(connections["replica"]) as replica:
            parties.request(quantity=1)
            assert db_router.pinned_to_primary()
            assert Lease.objects.filter(listing=listing).count() == 2  # read after the write: primary
        assert replica.captured_queries == []

    replay(paused=False)
    caught_up()
    assert on("replica", f"SELECT count(*) FROM leasing_lease WHERE listing_id = {listing.pk}") == 2


def test_search_falls_back_to_the_primary_when_the_replica_lags_too_far(city, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 1
    caught_up()
    replay(paused=True)
    listing = listing_in(city)  # received by the standby, not replayed
    time.sleep(1.5)
    replica_health_reset()
    client = Client()

    with CaptureQueriesContext(connections["replica"]) as replica:
        assert shown(client.get(f"/search/?city={city}")) == [listing.pk]  # answered by the primary
        assert client.get(f"/listings/{listing.pk}/").status_code == 200
    assert not listing_queries(replica)
    assert [q["sql"] for q in replica.captured_queries if "pg_last_wal_replay_lsn" in q["sql"]]  # it did check


def test_search_falls_back_to_the_primary_when_the_replica_is_down(city, monkeypatch):
    listing = listing_in(city)
    caught_up()
    client = Client()
    monkeypatch.setattr(db_router, "REPLICA_CHECK_SECONDS", 600.0)
    replica_health_reset()
    assert db_router.replica_usable()  # checked while up, and trusted for the next 10 minutes

    subprocess.run([str(ROOT / "scripts" / "replica.sh"), "stop-replica"], check=True)
    try:
        # The router still picks the replica; its connection fails; the view runs again on the primary.
        assert shown(client.get(f"/search/?city={city}")) == [listing.pk]
        assert not db_router.replica_usable()  # marked down, without trying to connect again
        assert client.get(f"/listings/{listing.pk}/").status_code == 200

        # A fresh check finds it down too: straight to the primary.
        replica_health_reset()
        assert shown(client.get(f"/search/?city={city}")) == [listing.pk]
        assert not db_router.replica_usable()
    finally:
        connections["replica"].close()
        subprocess.run([str(ROOT / "scripts" / "replica.sh"), "start-replica"], check=True)
    replica_health_reset()
    assert db_router.replica_usable()
