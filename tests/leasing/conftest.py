from datetime import datetime, timedelta

import pytest
from django.utils import timezone


class Clock:
    """``django.utils.timezone.now`` under the test's control: sweeps, deadlines and
    ``timezone.localdate`` all read it."""

    def __init__(self) -> None:
        self.start = self.now = timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock
