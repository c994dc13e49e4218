"""Filters of the API's lists (django-filter, documented in the schema), and the search's query
parameters, derived from the page's ``ListingSearchFilter`` so both take the same input."""

from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field

from inventory.choices import MovementKind, OrderKind, OrderStatus
from inventory.models import OutboundOrder, Product, StockLevel, StockMovement
from leasing.choices import LeaseState, ShipmentStatus, TransferState
from leasing.models import InboundShipment, Lease, LeaseTransfer
from leasing.selectors import EXPORTER, OFFERER, OWNER, RECEIVER
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


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (also ``1``/``0``, ``True``/``False``) when given; anything else is invalid, not
    ignored. A plain text widget, since the select widget reads every other value as "not given"."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None  # not in the query: no filter
        result = super().to_python(value)
        if result is None:
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return result


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ApiFilterSet(django_filters.FilterSet):
    """django-filter reads ``?x=`` as "not given". Where the schema says a number, a date, a boolean or a
    choice, an empty value is not one: a 400, as for any other value the schema does not allow. Free text
    (``CharFilter``) may be empty, except the names in ``empty_invalid``."""

    empty_invalid: frozenset[str] = frozenset()

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) and name not in self.empty_invalid:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if "" in values and name not in self.form.errors:
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
        return valid


class ListingFilter(ApiFilterSet):
    mine = StrictBooleanFilter(method="filter_mine", label="Only your organisation's listings (any status)")
    status = django_filters.ChoiceFilter(choices=ListingStatus.choices)
    unit = django_filters.ChoiceFilter(choices=Unit.choices)
    warehouse = IdFilter(field_name="warehouse_id", label="Warehouse id")

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        organisation = getattr(self.request, "organisation", None)
        return queryset.filter(warehouse__organisation=organisation) if organisation else queryset.none()


class WarehouseFilter(ApiFilterSet):
    mine = StrictBooleanFilter(method="filter_mine", label="Only your organisation's warehouses")
    country = django_filters.CharFilter(label="ISO 3166 country code, e.g. NL")
    city = django_filters.CharFilter(lookup_expr="icontains")
    customs_status = django_filters.ChoiceFilter(choices=CustomsStatus.choices)

    class Meta:
        model = Warehouse
        fields: list[str] = []

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        organisation = getattr(self.request, "organisation", None)
        return queryset.filter(organisation=organisation) if organisation else queryset.none()


class LeaseFilter(ApiFilterSet):
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


class ShipmentFilter(ApiFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ShipmentStatus.choices)
    lease = IdFilter(field_name="lease_id", label="Lease id")

    class Meta:
        model = InboundShipment
        fields: list[str] = []


class TransferFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TransferState.choices)
    role = django_filters.ChoiceFilter(
        method="filter_role",
        choices=[
            (OFFERER, "As the offering exporter"),
            (OWNER, "As the warehouse owner"),
            (RECEIVER, "Offered to you, or taken by you"),
        ],
    )
    lease = IdFilter(field_name="lease_id", label="Lease id (the lease handed on)")

    class Meta:
        model = LeaseTransfer
        fields: list[str] = []

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        organisation = getattr(self.request, "organisation", None)
        if value == OFFERER:
            return queryset.filter(lease__exporter=organisation)
        if value == OWNER:
            return queryset.filter(lease__listing__warehouse__organisation=organisation)
        return queryset.filter(Q(to_organisation=organisation) | Q(receiver=organisation))


class ProductFilter(ApiFilterSet):
    sku = django_filters.CharFilter(field_name="sku", lookup_expr="iexact", label="The SKU (without case)")
    q = django_filters.CharFilter(method="filter_q", label="Text in the SKU or the description")

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(sku__icontains=value) | Q(description__icontains=value)) if value else queryset


class StockFilter(ApiFilterSet):
    lease = IdFilter(field_name="lease_id", label="Lease id")
    product = IdFilter(field_name="product_id", label="Product id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact", label="SKU (without case)")
    warehouse = IdFilter(field_name="lease__listing__warehouse_id", label="Warehouse id")

    class Meta:
        model = StockLevel
        fields: list[str] = []


class MovementFilter(ApiFilterSet):
    lease = IdFilter(field_name="lease_id", label="Lease id")
    product = IdFilter(field_name="product_id", label="Product id")
    kind = django_filters.MultipleChoiceFilter(choices=MovementKind.choices)

    class Meta:
        model = StockMovement
        fields: list[str] = []


class OrderFilter(ApiFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    kind = django_filters.ChoiceFilter(choices=OrderKind.choices)
    lease = IdFilter(field_name="lease_id", label="Lease id")
    side = django_filters.ChoiceFilter(
        method="filter_side", choices=[(OWNER, "As the warehouse owner"), (EXPORTER, "As the exporter")]
    )

    class Meta:
        model = OutboundOrder
        fields: list[str] = []

    def filter_side(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        organisation = getattr(self.request, "organisation", None)
        if value == EXPORTER:
            return queryset.filter(lease__exporter=organisation)
        return queryset.filter(lease__listing__warehouse__organisation=organisation)


# --- Search parameters, from the page's FilterSet ---------------------------------------------

SEARCH_PAGE_SIZE = 20
NUMBER_FILTER_MAX = 10**50  # django-filter's NumberFilter refuses more (its MaxValueValidator(1e50))
SEARCH_MAX_PAGE_SIZE = 100
SEARCH_OVERRIDES: dict[str, dict[str, Any]] = {
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
}


class ApiSearchFilter(ApiFilterSet, ListingSearchFilter):
    """The page's search and rules; only ``country`` differs: any ISO 3166 code filters (a country without
    listings finds nothing), where the page offers a list of the countries that have listings."""

    empty_invalid = frozenset({"country"})  # two letters, as the schema's pattern says
    country = django_filters.CharFilter(
        field_name="warehouse__country",
        label=gettext_lazy("Country"),
        validators=[RegexValidator(r"^[A-Z]{2}\Z", gettext_lazy("Give an ISO 3166 country code, such as NL."))],
    )


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
        schema.setdefault("maximum", NUMBER_FILTER_MAX)
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
        for name, field in ApiSearchFilter.base_filters.items()
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
