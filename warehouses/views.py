"""Public pages: search and the listing page."""

import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.db_router import read_from_replica
from common.exceptions import ApplicationError

from .dates import warehouse_today
from .filters import default_dates
from .models import Listing, Port
from .pricing import listing_quote
from .search import search_page
from .selectors import (
    countries_with_listings,
    free_units_subquery,
    listing_month,
    listing_public_queryset,
    ports_near,
)
from .services import listing_check_booking
from .validators import MAX_UNITS

PAGE_SIZE = 20


def _query(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode()


def _suggestions(params: QueryDict, data: dict[str, Any], port: Port | None) -> list[tuple[str, str]]:
    """Ways to relax an empty search, each a link with one thing changed."""
    suggestions = []
    if port:
        radius = int(data.get("radius") or 250)
        suggestions.append(
            (
                _("Search %(radius)s km around %(port)s") % {"radius": radius * 2, "port": port.name},
                _query(params, radius=radius * 2),
            )
        )
        for other, distance in ports_near(port=port, radius_km=max(radius * 2, 400), limit=3):
            away = formats.number_format(round(distance), use_l10n=True, force_grouping=True)
            suggestions.append(
                (
                    _("Try %(port)s (%(distance)s km away)") % {"port": other.name, "distance": away},
                    _query(params, port=other.locode),
                )
            )
    quantity = int(data.get("quantity") or 1)
    if quantity > 1:
        suggestions.append(
            (_("Fewer units (%(count)s)") % {"count": quantity // 2}, _query(params, quantity=quantity // 2))
        )
    start, end = data.get("start"), data.get("end")
    if start and end:
        later = timedelta(days=14)
        suggestions.append(
            (
                _("Two weeks later"),
                _query(params, start=(start + later).isoformat(), end=(end + later).isoformat()),
            )
        )
    if data.get("features"):
        suggestions.append((_("Without the feature filters"), _query(params, features=None)))
    if data.get("max_price") is not None:
        suggestions.append((_("Any price"), _query(params, max_price=None)))
    return suggestions


def search(request: HttpRequest) -> HttpResponse:
    params: QueryDict = request.GET
    if not params:
        start, end = default_dates()
        params = QueryDict(mutable=True)
        params.update({"start": start, "end": end, "quantity": "1"})
    # Read-only and lag-tolerant: the read replica when there is one (common/db_router.py).
    context = read_from_replica(_search_context, params)
    return render(request, "warehouses/search.html", context)


def _search_context(params: QueryDict) -> dict[str, Any]:
    countries_with_listings()  # the country choices, cached here so that rendering the form reads no database
    page = max(int(params.get("page", "1")) if params.get("page", "1").isdigit() else 1, 1)
    found = search_page(params, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    data = found.data
    return {
        "filterset": found.filterset,
        "form": found.filterset.form,
        "results": found.results,
        "page": page,
        "previous_url": _query(params, page=page - 1) if page > 1 else None,
        "next_url": _query(params, page=page + 1) if found.has_next else None,
        "suggestions": _suggestions(params, data, found.filterset.form.port_obj)
        if found.valid and not found.results
        else [],
        "has_dates": bool(data.get("start")),
        "detail_query": _detail_query(data),
        "form_key": _form_key(params, found.filterset.form),
    }


def _form_key(params: QueryDict, form: forms.Form) -> str:
    """What the rendered filter form depends on, besides the language (the template's cache key
    adds it): the query, the errors found in it and the country choices. Same key, same HTML."""
    errors = json.dumps(form.errors.get_json_data(), sort_keys=True, default=str) if form.errors else ""
    countries = repr(countries_with_listings())
    payload = "\n".join((params.urlencode(), errors, countries))
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def _detail_query(data: dict[str, Any]) -> str:
    """The dates and quantity searched for, carried to each listing page's quote."""
    if not data.get("start") or not data.get("end"):
        return ""
    return "?" + urlencode(
        {"start": data["start"].isoformat(), "end": data["end"].isoformat(), "quantity": data.get("quantity") or 1}
    )


class QuoteForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.IntegerField(label=gettext_lazy("Units"), min_value=1, max_value=MAX_UNITS, initial=1)

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, quantity = data.get("start"), data.get("end"), data.get("quantity")
        if not (start and end and quantity):
            return data
        try:
            listing_check_booking(listing=self.listing, start=start, end=end, quantity=quantity)
        except ApplicationError as error:
            self.add_error(None, error.detail)
        return data


def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Read-only and lag-tolerant: the read replica when there is one (common/db_router.py).
    context = read_from_replica(_listing_context, pk, request.GET)
    return render(request, "warehouses/listing_detail.html", context)


def _listing_context(pk: int, params: QueryDict) -> dict[str, Any]:
    listing = get_object_or_404(listing_public_queryset(), pk=pk)
    today = warehouse_today(listing.warehouse)
    initial_start, initial_end = default_dates()
    form = QuoteForm(params or {"start": initial_start, "end": initial_end, "quantity": 1}, listing=listing)
    quote = free = None
    if form.is_valid():
        data = form.cleaned_data
        quote = listing_quote(listing=listing, start=data["start"], end=data["end"], quantity=data["quantity"])
        free = (
            Listing.objects.filter(pk=listing.pk)
            .annotate(free=free_units_subquery(start=data["start"], end=data["end"]))
            .values_list("free", flat=True)
            .first()
        )
    months = [listing_month(listing=listing, month=today)]
    months.append(listing_month(listing=listing, month=months[0].next))
    months.append(listing_month(listing=listing, month=months[1].next))
    return {
        "listing": listing,
        "warehouse": listing.warehouse,
        "form": form,
        "quote": quote,
        "free": free,
        "available": quote is not None and free is not None and free >= form.cleaned_data["quantity"],
        "months": months,
        "today": today,
        "until": today + timedelta(days=89),
        "request_query": urlencode(form.cleaned_data) if quote else "",
    }
