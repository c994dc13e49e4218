"""What leasing lets the apps above it hook into, so that the arrows point one way.

Trust (ratings, blacklist) sits above leasing: leasing never imports it. Instead trust, in its
``AppConfig.ready()``, connects to ``lease_changed`` and registers a standing check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from accounts.models import Organisation

# Sent inside the transaction by ``leasing.core.lease_transition`` after the event row is written,
# with ``lease``, ``from_state``, ``to_state`` and ``by`` (a User or None).
lease_changed = Signal()

StandingCheck = Callable[["Organisation", str], None]
_standing_checks: list[StandingCheck] = []


def standing_check_register(check: StandingCheck) -> None:
    """Register ``check(organisation, action)``, which raises an ApplicationError when the
    organisation may not do ``action`` (one of the English action phrases, e.g. "request a lease")."""
    if check not in _standing_checks:
        _standing_checks.append(check)


def standing_require(organisation: Organisation, action: str) -> None:
    """Run every registered standing check (trust's blacklist) for ``organisation`` and ``action``."""
    for check in _standing_checks:
        check(organisation, action)
