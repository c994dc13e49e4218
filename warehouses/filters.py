"""The public search: one FilterSet for the page and the API (run by ``warehouses.search.search_page``)."""

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import CURRENCIES

from .choices import FEATURES, CustomsStatus, Unit
from .dates import today_range
from .geo import Circle, within
from .hooks import hidden_organisations
from .models import Listing, Port
from .pricing import lease_days
from .selectors import countries_with_listings, listing_bookable_for, listing_price_for, port_get
from .validators import MAX_UNITS

SORTS = (
    ("price", gettext_lazy("Lowest total price")),
    ("distance", gettext_lazy("Nearest to the port")),
    ("rating", gettext_lazy("Best owner rating")),
    ("newest", gettext_lazy("Newest")),
)
MAX_RADIUS_KM = 2000


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (``1.5`` units is refused, not rounded)."""

    field_class = forms.IntegerField


class SearchForm(forms.Form):
    """Cross-field rules of the search, with messages a person can act on."""

    port_obj: Port | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        today = today_range()[0]  # a start still today at some warehouse is not in the past
        if start and end and end < start:
            self.add_error("end", _("The end date must be on or after the start date."))
        if start and start < today:
            self.add_error("start", _("The start date cannot be in the past."))
        if bool(start) != bool(end):
            self.add_error("end" if start else "start", _("Give both a start and an end date, or neither."))
        locode = data.get("port")
        if locode:
            port = port_get(locode)
            if port is None:
                self.add_error(
                    "port", _("Unknown port “%(locode)s”. Use a UN/LOCODE such as NLRTM or CNSHA.") % {"locode": locode}
                )
            self.port_obj = port
        elif data.get("radius"):
            self.add_error("port", _("Choose a port to search around."))
        if data.get("max_price") is not None and not data.get("currency"):
            self.add_error("currency", _("Choose the currency of the maximum price: prices are not converted."))
        if data.get("sort") == "distance" and not locode:
            self.add_error("sort", _("Sorting by distance needs a port."))
        return data


class ListingSearchFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(
        field_name="warehouse__country", choices=countries_with_listings, label=gettext_lazy("Country")
    )
    city = django_filters.CharFilter(field_name="warehouse__city", lookup_expr="icontains", label=gettext_lazy("City"))
    port = django_filters.CharFilter(method="filter_nothing", label=gettext_lazy("Near port (UN/LOCODE)"))
    radius = django_filters.NumberFilter(
        method="filter_nothing", label=gettext_lazy("Radius (km)"), min_value=1, max_value=MAX_RADIUS_KM
    )
    start = django_filters.DateFilter(
        method="filter_nothing", label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        method="filter_nothing", label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    quantity = IntegerFilter(
        method="filter_nothing", label=gettext_lazy("Units needed"), min_value=1, max_value=MAX_UNITS
    )
    unit = django_filters.ChoiceFilter(choices=Unit.choices, label=gettext_lazy("Unit"))
    customs_status = django_filters.ChoiceFilter(
        field_name="warehouse__customs_status", choices=CustomsStatus.choices, label=gettext_lazy("Customs")
    )
    features = django_filters.MultipleChoiceFilter(
        method="filter_features",
        choices=FEATURES,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Features (all of)"),
    )
    max_price = django_filters.NumberFilter(
        field_name="price_per_unit_day", lookup_expr="lte", min_value=0, label=gettext_lazy("Max price / unit / day")
    )
    currency = django_filters.ChoiceFilter(choices=CURRENCIES, label=gettext_lazy("Currency"))
    sort = django_filters.ChoiceFilter(
        method="filter_nothing", choices=SORTS, label=gettext_lazy("Sort by"), empty_label=None
    )

    class Meta:
        model = Listing
        fields: list[str] = []
        form = SearchForm

    def filter_nothing(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """Fields that work together (dates, port, sort) are applied in ``filter_queryset``."""
        return queryset

    def filter_features(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(**{f"warehouse__{feature}": True for feature in value})

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Hidden owners' listings (trust: blacklisted, via warehouses.hooks) leave search (page and API alike).
        queryset = super().filter_queryset(queryset)
        for organisation_ids in hidden_organisations():
            queryset = queryset.exclude(warehouse__organisation_id__in=organisation_ids)
        data = self.form.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            queryset = listing_bookable_for(queryset, start=start, end=end)
        port = self.form.port_obj
        if port:
            radius = float(data.get("radius") or 250)
            queryset = within(queryset, Circle(port.latitude, port.longitude, radius), prefix="warehouse__")
        days = lease_days(start, end) if start and end else 1
        queryset = listing_price_for(queryset, days=days)
        return queryset.order_by(*self.ordering(data.get("sort") or "price"))

    @staticmethod
    def ordering(sort: str) -> list[Any]:
        if sort == "distance":
            return ["distance2", "pk"]
        if sort == "rating":
            return [F("warehouse__organisation__credit_score").desc(nulls_last=True), "unit_cost", "pk"]
        if sort == "newest":
            return ["-created_at", "-pk"]
        return ["unit_cost", "pk"]


def default_dates() -> tuple[str, str]:
    start = today_range()[1] + timedelta(days=7)
    return start.isoformat(), (start + timedelta(days=29)).isoformat()
