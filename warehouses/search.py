"""The public search's one path: the page (``warehouses.views.search``) and the API
(``api.views.warehouses.SearchView``) both validate with ``ListingSearchFilter`` and take their rows
from ``search_page``, so they accept the same input and show the same results in the same order."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .choices import ListingStatus
from .filters import ListingSearchFilter
from .geo import haversine_km
from .models import Listing, Port
from .pricing import Quote, listing_quote
from .selectors import listing_available_page


@dataclass(frozen=True)
class SearchResult:
    """One result row: the listing (fully loaded), its distance from the searched port, the fewest
    free units over the dates and the price for the dates and quantity (``None`` when not asked)."""

    listing: Listing
    distance_km: float | None
    free_units: int | None
    quote: Quote | None


@dataclass(frozen=True)
class SearchPage:
    filterset: ListingSearchFilter
    results: list[SearchResult] = field(default_factory=list)
    has_next: bool = False

    @property
    def valid(self) -> bool:
        return bool(self.filterset.is_valid())

    @property
    def data(self) -> dict[str, Any]:
        return self.filterset.form.cleaned_data if self.valid else {}


def search_page(
    params: Mapping[str, Any],
    *,
    offset: int,
    limit: int,
    filterset_class: type[ListingSearchFilter] = ListingSearchFilter,
) -> SearchPage:
    """Rows ``offset..offset+limit`` of the search for ``params`` (a QueryDict), and whether more follow.

    Invalid ``params`` give a page without results whose ``filterset.form.errors`` say why. A fixed
    number of queries whatever the number of rows (``listing_available_page``). Read-only: callers
    may run it inside ``common.db_router.replica_reads``. ``filterset_class``: the API's subclass
    (``api.filters.ApiSearchFilter``) takes any ISO country code where the page offers a list.
    """
    filterset = filterset_class(params, queryset=Listing.objects.filter(status=ListingStatus.ACTIVE))
    if not filterset.is_valid():
        return SearchPage(filterset=filterset)
    data = filterset.form.cleaned_data
    start, end = data.get("start"), data.get("end")
    quantity = data.get("quantity") or 1
    rows = listing_available_page(filterset.qs, start=start, end=end, quantity=quantity, offset=offset, limit=limit + 1)
    port = filterset.form.port_obj
    results = [_result(listing, port, start, end, quantity) for listing in rows[:limit]]
    return SearchPage(filterset=filterset, results=results, has_next=len(rows) > limit)


def _result(listing: Listing, port: Port | None, start: date | None, end: date | None, quantity: int) -> SearchResult:
    warehouse = listing.warehouse
    return SearchResult(
        listing=listing,
        distance_km=haversine_km(port.latitude, port.longitude, warehouse.latitude, warehouse.longitude)
        if port
        else None,
        free_units=getattr(listing, "free_units", None),
        quote=listing_quote(listing=listing, start=start, end=end, quantity=quantity) if start and end else None,
    )
