from datetime import datetime, timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone


class Clock:
    """``django.utils.timezone.now`` under the test's control: sweeps, deadlines and business dates
    all read it."""

    def __init__(self, now: datetime) -> None:
        self.start = self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    """Uploads (photos, evidence, documents) land in the test's own folder, public and private apart."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def p():
    """An owner with a listing of 100 units and an exporter, each with one admin user (``Parties``)."""
    from tests.leasing.factories import Parties

    return Parties(capacity=100)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits, TOTP replay guards and rendered fragments live in the caches: every test starts clean."""
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture(autouse=True)
def _fresh_simulated_gateway():
    """The simulated gateway remembers answers per idempotency key in process, and test databases
    reuse ids: start every test with a gateway that remembers nothing. The gateways are built once
    per process from the settings of the moment: forget them, so a Stripe gateway built while one
    test had no webhook secret is not the one the next test's webhooks are checked with."""
    from escrow.gateways import gateway_for

    gateway_for.cache_clear()
    gateway_for("simulated").reset()
