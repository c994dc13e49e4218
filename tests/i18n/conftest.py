from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation


@pytest.fixture
def before_dst(clock):
    """Wednesday 26 March 2025, 09:00 UTC: Europe/Amsterdam moves to summer time on Sunday 30 March."""
    clock.set(datetime(2025, 3, 26, 9, 0, tzinfo=UTC))
    return clock


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its language and it stays active in the thread afterwards (as in any
    Django test): start and end every test here in the default language and time zone."""
    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()
