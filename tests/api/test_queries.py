"""Query counts of every list endpoint do not grow with the number of rows (1 row vs 6)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leasing import rules, transfers
from leasing.choices import LeaseState
from tests.accounts.factories import ExporterOrganisationFactory
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.services import capacity_exception_add

pytestmark = pytest.mark.django_db


def _count(client, path, params=None) -> tuple[int, int]:
    client.get(path, params)  # warm up: the key's last_used_at is written once a minute at most
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


def _constant(few: tuple[int, int], many: tuple[int, int], rows: tuple[int, int] = (1, 6)) -> None:
    """Same number of queries for ``few`` and ``many`` rows: (queries, rows) each."""
    assert (few[1], many[1]) == rows
    assert few[0] == many[0], f"{few[0]} queries for {few[1]} rows, {many[0]} for {many[1]}"


def _walked(parties: Parties, n: int) -> None:
    for i in range(n):
        parties.lease_in(LeaseState.CHECKED_IN, start=days_from_now(3 + i), end=days_from_now(10 + i), quantity=1)


def test_organisation_lists():
    parties = Parties(capacity=100)
    owner = client_with(key_for(parties.owner_org, user=parties.owner))
    paths = ["/api/v1/leases/", "/api/v1/shipments/", "/api/v1/warehouses/", "/api/v1/listings/"]
    _walked(parties, 1)
    one = {path: _count(owner, path) for path in paths}
    _walked(parties, 5)
    for _ in range(5):
        ListingFactory(warehouse=WarehouseFactory(organisation=parties.owner_org))
    six = {path: _count(owner, path) for path in paths}
    for path in paths:
        assert one[path][1] == 1, (path, one[path])
        assert six[path][1] == 6, (path, six[path])
        assert one[path][0] == six[path][0], (path, one[path], six[path])


def test_per_object_lists():
    parties = Parties()
    owner = client_with(key_for(parties.owner_org, user=parties.owner))
    requested = parties.request(start=days_from_now(3), end=days_from_now(5), quantity=1)
    walked = parties.lease_in(LeaseState.CHECKED_IN, start=days_from_now(6), end=days_from_now(9), quantity=1)
    shipment = walked.shipments.get()
    few = _count(owner, f"/api/v1/leases/{requested.pk}/events/")
    many = _count(owner, f"/api/v1/leases/{walked.pk}/events/")
    _constant(few, many)

    one, six = (
        parties.lease_in(LeaseState.FUNDED, start=days_from_now(20 + i), end=days_from_now(30 + i), quantity=1)
        for i in range(2)
    )
    parties.walker.announce(one)
    for _ in range(6):
        parties.walker.announce(six)
    few = _count(owner, f"/api/v1/leases/{one.pk}/shipments/")
    many = _count(owner, f"/api/v1/leases/{six.pk}/shipments/")
    _constant(few, many)

    first = _count(owner, f"/api/v1/shipments/{shipment.pk}/events/")
    assert first[1] == 4

    listing = parties.listing
    capacity_exception_add(listing=listing, start=days_from_now(60), end=days_from_now(61), capacity=0)
    few = _count(owner, f"/api/v1/listings/{listing.pk}/exceptions/")
    for i in range(5):
        capacity_exception_add(listing=listing, start=days_from_now(70 + i), end=days_from_now(70 + i), capacity=1)
    many = _count(owner, f"/api/v1/listings/{listing.pk}/exceptions/")
    _constant(few, many)

    few = _count(owner, f"/api/v1/listings/{listing.pk}/calendar/", {"page_size": 1})
    many = _count(owner, f"/api/v1/listings/{listing.pk}/calendar/", {"page_size": 6})
    _constant(few, many)


def test_search():
    owner = Parties().owner_org
    params = {"start": days_from_now(3), "end": days_from_now(9), "quantity": 1, "port": "NLRTM"}
    anonymous = client_with()
    few = _count(anonymous, "/api/v1/search/", params)
    warehouse = WarehouseFactory(organisation=owner)
    for _ in range(5):
        ListingFactory(warehouse=warehouse)
    many = _count(anonymous, "/api/v1/search/", params)
    _constant(few, many)


def test_transfer_lists():
    """A lease's transfers and the organisation's, seen by the owner, the offering exporter and the receiver."""
    parties = Parties(capacity=100)
    lease = parties.lease_in(LeaseState.FUNDED, start=days_from_now(3), end=days_from_now(40), quantity=2)
    receiver = ExporterOrganisationFactory()
    clients = [
        client_with(key_for(parties.owner_org, user=parties.owner)),
        client_with(key_for(parties.exporter_org, user=parties.exporter)),
        client_with(key_for(receiver)),
    ]

    def offer() -> None:
        transfer = transfers.transfer_offer(
            lease=lease,
            by=parties.exporter,
            quantity=1,
            start=rules.transfer_earliest(lease),
            price=Decimal("9.00"),
            to_organisation=receiver,
        )
        transfers.transfer_withdraw(transfer=transfer, by=parties.exporter)

    offer()
    paths = [
        *((client, "/api/v1/transfers/") for client in clients),
        *((client, f"/api/v1/leases/{lease.pk}/transfers/") for client in clients[:2]),  # the lease's parties
    ]
    one = [_count(client, path) for client, path in paths]
    for _ in range(5):
        offer()
    six = [_count(client, path) for client, path in paths]
    for few, many in zip(one, six, strict=True):
        _constant(few, many)
