"""The stock page's filters (django-filter): warehouse, SKU search, lease."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from leasing.models import Lease
from warehouses.models import Warehouse

from .models import StockLevel
from .pages_selectors import stock_leases_of, stock_warehouses_of


def lease_label(lease: Lease) -> str:
    return _("Lease #%(lease)s — %(warehouse)s") % {"lease": lease.pk, "warehouse": lease.listing.warehouse.name}


class StockFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"),
        field_name="lease__listing__warehouse",
        queryset=Warehouse.objects.none(),
        empty_label=_("All warehouses"),
    )
    q = django_filters.CharFilter(label=_("SKU or description"), method="search")
    lease = django_filters.ModelChoiceFilter(
        label=_("Lease"), queryset=Lease.objects.none(), empty_label=_("All leases")
    )

    class Meta:
        model = StockLevel
        fields: list[str] = []

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["warehouse"].queryset = stock_warehouses_of(organisation)
        self.filters["lease"].queryset = stock_leases_of(organisation)
        self.form.fields["lease"].label_from_instance = lease_label  # type: ignore[attr-defined]
        self.form.fields["q"].widget.attrs["type"] = "search"

    def search(self, queryset: QuerySet[StockLevel], name: str, value: str) -> QuerySet[StockLevel]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(product__sku__icontains=value) | Q(product__description__icontains=value))
