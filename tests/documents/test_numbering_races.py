"""Numbering under concurrent money events, on PostgreSQL with real threads and connections: the
receipts of payments made at the same moment are numbered 1..n, no gap, no duplicate, even while
other transactions take a number and roll back."""

import threading

import pytest
from django.db import connection, transaction

from documents import services
from documents.choices import DocumentKind
from documents.models import Document, DocumentCounter
from escrow.models import Payment
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties

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


class RolledBack(Exception):
    pass


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_payments_are_numbered_without_gaps_or_duplicates(attempt):
    # Eight owners' listings, so that nothing but the counter stands between the payments (paying
    # locks the listing: leases of one listing would pay one after another anyway).
    sides = [Parties() for _ in range(8)]
    leases = [side.lease_in(S.ACCEPTED) for side in sides]
    p = sides[0]

    def pay(side, lease):
        return lambda: side.pay(lease)

    def take_a_number_and_roll_back():
        with transaction.atomic():
            services.document_create(
                kind=DocumentKind.RECEIPT,
                recipient=p.exporter_org,
                currency="EUR",
                amount=leases[0].total,
                parties={"issuer": services.platform_party(), "recipient": services.party(p.exporter_org)},
            )
            raise RolledBack

    results = race(
        *[pay(side, lease) for side, lease in zip(sides, leases, strict=True)], *[take_a_number_and_roll_back] * 4
    )

    assert all(isinstance(result, Payment) for result in results[:8]), results
    assert all(isinstance(result, RolledBack) for result in results[8:]), results
    receipts = Document.objects.filter(kind=DocumentKind.RECEIPT)
    assert sorted(receipts.values_list("sequence", flat=True)) == list(range(1, 9))
    assert sorted(receipts.values_list("payment__escrow__lease", flat=True)) == sorted(lease.pk for lease in leases)
    assert len(set(receipts.values_list("number", flat=True))) == 8
    assert DocumentCounter.objects.get(kind=DocumentKind.RECEIPT).last == 8
