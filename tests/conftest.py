import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and TOTP replay guards live in the cache: every test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_simulated_gateway():
    """The simulated gateway remembers answers per idempotency key in process, and test databases
    reuse ids: start every test with a gateway that remembers nothing."""
    from escrow.gateways import _gateway

    _gateway("simulated").reset()
