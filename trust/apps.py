from typing import Any

from django.apps import AppConfig

# A lease reaching one of these changes a fact a credit rating counts: both sides are re-rated.
RATED_STATES = frozenset({"expired", "cancelled", "checked_in", "active", "completed"})


class TrustConfig(AppConfig):
    name = "trust"
    verbose_name = "Trust: verification, disputes, ratings, blacklist"

    def ready(self) -> None:
        """Trust sits above leasing and warehouses: it hooks into them instead of them importing it."""
        from leasing import hooks
        from warehouses import hooks as warehouse_hooks

        from . import lease_pages, rating, selectors, services

        def rerate(*, lease: Any, to_state: str, **_: Any) -> None:
            if to_state in RATED_STATES:
                rating.ratings_recompute_later([lease.exporter, lease.owner])

        hooks.lease_changed.connect(rerate, dispatch_uid="trust.rerate", weak=False)
        hooks.standing_check_register(services.organisations_require_in_good_standing)
        hooks.lease_page_extras_register(lease_pages.lease_page_extras)
        warehouse_hooks.hidden_organisations_register(selectors.organisation_blacklisted_ids)
