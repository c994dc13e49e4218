"""The replica router's rules without a replica (tests/ops/test_replica.py runs them on a real one)."""

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from common import db_router
from common.db_router import ReplicaRouter, read_from_replica, replica_reads, request_scope
from common.middleware import PrimaryPinMiddleware
from warehouses.models import Listing

router = ReplicaRouter()


@pytest.fixture
def replica(monkeypatch):
    """As if a healthy replica were configured."""
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "replica_usable", lambda: True)
    monkeypatch.setattr(db_router, "_close_quietly", lambda: None)  # there is no "replica" connection to close


def test_without_a_replica_every_read_goes_to_the_primary():
    assert not db_router.replica_configured()
    with request_scope(pinned=False), replica_reads():
        assert router.db_for_read(Listing) == "default"
    assert read_from_replica(lambda: 42) == 42


def test_only_opted_in_reads_of_a_request_that_has_not_written_go_to_the_replica(replica):
    with request_scope(pinned=False):
        assert router.db_for_read(Listing) == "default"  # not opted in
        with replica_reads():
            assert router.db_for_read(Listing) == "replica"
            assert router.db_for_write(Listing) == "default"
            assert router.db_for_read(Listing) == "default"  # read after a write
    with request_scope(pinned=True), replica_reads():
        assert router.db_for_read(Listing) == "default"  # an unsafe method


@pytest.mark.django_db
def test_reads_inside_a_transaction_go_to_the_primary(replica):
    with request_scope(pinned=False), replica_reads():  # pytest-django runs this test in a transaction
        assert router.db_for_read(Listing) == "default"


def test_a_replica_that_is_too_far_behind_or_down_is_not_used(monkeypatch, replica):
    monkeypatch.setattr(db_router, "replica_usable", lambda: False)
    with request_scope(pinned=False), replica_reads():
        assert router.db_for_read(Listing) == "default"


def test_a_replica_failing_mid_read_is_retried_on_the_primary(replica):
    calls = []

    def view():
        alias = router.db_for_read(Listing)
        calls.append(alias)
        if alias == "replica":
            raise OperationalError("the replica went away")
        return alias

    with request_scope(pinned=False):
        assert read_from_replica(view) == "default"
    assert calls == ["replica", "default"]
    db_router.replica_health_reset()


def test_an_error_on_the_primary_is_not_retried(replica):
    def view():
        raise OperationalError("the primary went away")

    with request_scope(pinned=True), pytest.raises(OperationalError):
        read_from_replica(view)


@pytest.mark.parametrize(("method", "pinned"), [("get", False), ("head", False), ("post", True), ("delete", True)])
def test_the_middleware_pins_unsafe_methods_for_one_request(method, pinned):
    seen = []

    def view(request):
        seen.append(db_router.pinned_to_primary())
        router.db_for_write(Listing)  # a write pins the rest of the request …
        return HttpResponse()

    with request_scope(pinned=False):
        PrimaryPinMiddleware(view)(getattr(RequestFactory(), method)("/"))
        assert seen == [pinned]
        assert not db_router.pinned_to_primary()  # … and is forgotten with it
