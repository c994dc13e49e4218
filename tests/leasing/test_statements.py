"""How many SQL statements one lease request sends (issue #20: the booking path at scale).

``lease_request`` runs in its own transaction with the listing row locked from the reservation's
``SELECT … FOR UPDATE`` to the commit, so every statement counts. On both databases, without
the transaction's own BEGIN/COMMIT, a request on a non-instant listing is 10 statements:

1. the requester is a member of the exporter (``user_is_member``)
2. both sides' standing, one blacklist query (``standing_require`` with two pairs)
3. INSERT the lease
4. INSERT its escrow
5. INSERT its ``requested`` event
6. the webhook deliveries of that event: one ``INSERT … SELECT`` from the endpoints that want it
   (durable: created in the transaction, sent after commit, swept if the sending is lost)
7. lock the listing (``SELECT … FOR UPDATE``)
8. one conditional UPDATE of the calendar, all days or none (no SAVEPOINT)
9. INSERT the reservation
10. INSERT the lease ↔ reservation link (the ``Lease.reservations`` many-to-many)

The goal of issue #20 was 8. The gap: the membership check (the service cannot trust its caller:
the API and the pages both call it), and the hold being two rows in two tables — the reservation
belongs to warehouses, which knows nothing of leases, and the link to it is leasing's
many-to-many; merging them means a schema change (a nullable ``holder`` on Reservation) left to
a later step. The owner's email recipients are looked up after the commit (``email_send`` with a
callable ``to``). An instant-book request adds the ``accepted`` transition: UPDATE the lease,
INSERT its event, and that event's webhook ``INSERT … SELECT`` (13).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leasing.choices import LeaseState
from tests.api.factories import WebhookEndpointFactory
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def statements(parties: Parties, **kwargs) -> list[str]:
    """What the service sends inside its transaction. The test runs in a transaction of its own,
    so the service's ``atomic`` is a SAVEPOINT … RELEASE here (BEGIN … COMMIT in production, and
    what runs after the commit — the emails, the webhook sending — does not run here at all)."""
    with CaptureQueriesContext(connection) as captured:
        lease = parties.request(**kwargs)
    assert lease.pk
    sql = [query["sql"] for query in captured.captured_queries]
    assert sql[0].startswith("SAVEPOINT"), sql
    assert sql[-1].startswith("RELEASE SAVEPOINT"), sql
    inside = sql[1:-1]
    assert not [s for s in inside if "SAVEPOINT" in s], "a savepoint on the booking path"
    return inside


@pytest.mark.parametrize("other_leases", [0, 3])
def test_a_lease_request_is_ten_statements(other_leases):
    parties = Parties(capacity=100)
    for _n in range(other_leases):
        parties.request(start=days_from_now(2), end=days_from_now(20))

    sent = statements(parties)

    assert len(sent) == 10, "\n".join(sent)
    if connection.vendor == "postgresql":  # SQLite has no row locks: the lock query is a plain SELECT
        assert sum("FOR UPDATE" in s for s in sent) == 1
    assert sum(s.startswith("UPDATE") for s in sent) == 1


def test_webhook_listeners_cost_no_extra_statement():
    parties = Parties(capacity=100)
    WebhookEndpointFactory(organisation=parties.owner_org, events=[])
    WebhookEndpointFactory(organisation=parties.exporter_org, events=["lease.requested"])

    sent = statements(parties)

    assert len(sent) == 10, "\n".join(sent)
    lease = parties.listing.leases.get()
    assert lease.state == LeaseState.REQUESTED


def test_an_instant_book_request_is_thirteen_statements():
    parties = Parties(capacity=100, instant_book=True)

    sent = statements(parties)

    assert len(sent) == 13, "\n".join(sent)
    assert parties.listing.leases.get().state == LeaseState.ACCEPTED
