"""What warehouses lets the apps above it hook into, so that the arrows point one way.

Trust (the blacklist) sits above warehouses: warehouses never imports it. Instead trust, in its
``AppConfig.ready()``, registers the organisations whose listings leave the public search.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

HiddenOrganisations = Callable[[], QuerySet[Any, int]]
_hidden_organisations: list[HiddenOrganisations] = []


def hidden_organisations_register(ids: HiddenOrganisations) -> None:
    """Register ``ids()``, which returns the ids of organisations whose listings search hides
    (trust: blacklisted now) as a ``values_list`` queryset, used as a subquery for ``__in``."""
    if ids not in _hidden_organisations:
        _hidden_organisations.append(ids)


def hidden_organisations() -> list[QuerySet[Any, int]]:
    """One subquery per registered source; a listing is hidden when its organisation is in any."""
    return [ids() for ids in _hidden_organisations]
