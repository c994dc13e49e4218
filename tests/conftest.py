"""Fixtures every test gets, and what the suite needs to run in parallel (scripts/test.sh runs it
with pytest-xdist: ``-n logical --dist loadgroup``).

Each xdist worker is its own process with its own test database (pytest-django suffixes the name
with gw0, gw1, ...), its own ``tmp_path`` (uploads: ``_files`` below), cache, simulated gateway and
live server on a free port. What is left to share is arranged here: the PostgreSQL concurrency
tests run on one worker, and pytest-playwright's artefact folder is emptied once per run.
"""

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    """The ``postgres`` tests open many connections at once (up to 64 threads) to a server other
    runs may share: under ``--dist loadgroup`` they all go to one worker, one after another, so a
    run never holds more than one such test's connections.

    pytest-xdist 3.8 groups a test by appending ``@<group>`` to ``item._nodeid`` in this hook, which
    pytest 9.2 no longer reads (the node id comes from ``item._id``): the group would be silently
    ignored (pytest-dev/pytest-xdist#1386). After the other implementations, carry the suffix over;
    this does nothing once xdist sets it itself."""
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.xdist_group("postgres"))
    result = yield
    for item in items:
        grouped = getattr(item, "_nodeid", None)
        if isinstance(grouped, str) and grouped.startswith(f"{item.nodeid}@"):
            item._id = type(item._id).parse(grouped)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """pytest-playwright empties its ``--output`` folder (failure screenshots) when a session starts;
    each xdist worker is a session, and a late worker could empty it under a failing early one. It
    is emptied here once, in the run's main process, before the workers start (``delete_output_dir``)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    output = session.config.getoption("output", None)
    if output:
        shutil.rmtree(output, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """Replaces pytest-playwright's fixture of this name (per worker): ``pytest_sessionstart`` does it."""


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
def _default_language():
    """Every test starts and ends in the site's language: a test (or the code it runs) that activates
    a reader's language and leaves it on must not turn the next test's messages into Chinese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_simulated_gateway():
    """The simulated gateway remembers answers per idempotency key in process, and test databases
    reuse ids: start every test with a gateway that remembers nothing. The gateways are built once
    per process from the settings of the moment: forget them, so a Stripe gateway built while one
    test had no webhook secret is not the one the next test's webhooks are checked with."""
    from escrow.gateways import gateway_for

    gateway_for.cache_clear()
    gateway_for("simulated").reset()
