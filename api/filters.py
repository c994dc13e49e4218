"""Filters of the API's lists (django-filter, documented in the schema), and the search's query
parameters, derived from the page's ``ListingSearchFilter`` so both take the same input."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field

from leasing.choices import LeaseState, ShipmentStatus
from leasing.models import InboundShipment, Lease
from leasing.selectors import EXPORTER, OWNER
from warehouses.choices import CustomsStatus, ListingStatus, Unit
from warehouses.filters import IntegerFilter, ListingSearchFilter
from warehouses.models import Listing, Warehouse

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object id (a positive 64-bit integer)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class ListingFilter(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only your organisation's listings (any status)")
    status = django_filters.ChoiceFilter(choices=ListingStatus.choices)
    unit = django_filters.ChoiceFilter(choices=Unit.choices)
    warehouse = IdFilter(field_name="warehouse_id", label="Warehouse id")

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_mine(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        organisation = getattr(self.request, "organisation", None)
        return queryset.filter(warehouse__organisation=organisation) if organisation else queryset.none()


class WarehouseFilter(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only your organisation's warehouses")
    country = django_filters.CharFilter(label="ISO 3166 country code, e.g. NL")
    city = django_filters.CharFilter(lookup_expr="icontains")
    customs_status = django_filters.ChoiceFilter(choices=CustomsStatus.choices)

    class Meta:
        model = Warehouse
        fields: list[str] = []

    def filter_mine(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        organisation = getattr(self.request, "organisation", None)
        return queryset.filter(organisation=organisation) if organisation else queryset.none()


class LeaseFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=LeaseState.choices)
    side = django_filters.ChoiceFilter(
        method="filter_side", choices=[(OWNER, "As the warehouse owner"), (EXPORTER, "As the exporter")]
    )
    listing = IdFilter(field_name="listing_id", label="Listing id")

    class Meta:
        model = Lease
        fields: list[str] = []

    def filter_side(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        organisation = getattr(self.request, "organisation", None)
        if value == EXPORTER:
            return queryset.filter(exporter=organisation)
        return queryset.filter(listing__warehouse__organisation=organisation)


class ShipmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ShipmentStatus.choices)
    lease = IdFilter(field_name="lease_id", label="Lease id")

    class Meta:
        model = InboundShipment
        fields: list[str] = []


# --- Search parameters, from the page's FilterSet ---------------------------------------------

SEARCH_PAGE_SIZE = 20
SEARCH_MAX_PAGE_SIZE = 100
SEARCH_OVERRIDES: dict[str, dict[str, Any]] = {
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
}


def _filter_schema(name: str, field: Any) -> dict[str, Any]:
    if name in SEARCH_OVERRIDES:
        return SEARCH_OVERRIDES[name]
    if isinstance(field, django_filters.MultipleChoiceFilter):
        return {"type": "array", "items": {"type": "string", "enum": [v for v, _ in field.extra["choices"]]}}
    if isinstance(field, django_filters.ChoiceFilter):
        return {"type": "string", "enum": [v for v, _ in field.extra["choices"]]}
    if isinstance(field, django_filters.DateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(field, django_filters.NumberFilter):
        schema: dict[str, Any] = {"type": "integer" if isinstance(field, IntegerFilter) else "number"}
        for key, bound in (("minimum", "min_value"), ("maximum", "max_value")):
            if field.extra.get(bound) is not None:
                schema[key] = field.extra[bound]
        return schema
    return {"type": "string"}


def search_parameters() -> list[OpenApiParameter]:
    parameters = [
        OpenApiParameter(
            name,
            type=_filter_schema(name, field),
            location=OpenApiParameter.QUERY,
            description=str(field.label or ""),
            explode=True if isinstance(field, django_filters.MultipleChoiceFilter) else None,
        )
        for name, field in ListingSearchFilter.base_filters.items()
    ]
    parameters.append(OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next`/`previous` link."))
    parameters.append(
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": SEARCH_MAX_PAGE_SIZE},
            description=f"Results per page (default {SEARCH_PAGE_SIZE}).",
        )
    )
    return parameters
