import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and TOTP replay guards live in the cache: every test starts clean."""
    cache.clear()
    yield
    cache.clear()
