"""The exporter's stock (by SKU or by warehouse, filtered, CSV), a SKU's page with its ledger, a
lease's stock (either side) and the owner's stock adjustments."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from leasing.rules import side_of
from leasing.selectors import lease_detail_queryset
from leasing.views import lease_for

from .. import rules, selectors, services
from ..filters import StockFilter
from ..forms import AdjustmentForm
from ..models import Product
from ..pages_selectors import lease_movements, movements_related, stock_per_sku
from .common import OWNER, page_of

LATEST = 10
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _filtered(request: OrganisationRequest) -> StockFilter:
    levels = selectors.stock_levels_of(request.organisation).select_related("product", "lease__listing__warehouse")
    return StockFilter(request.GET or None, queryset=levels, organisation=request.organisation)


@organisation_required(exporter=True)
def stock(request: OrganisationRequest) -> HttpResponse:
    """The stock across every warehouse: per SKU (``?view=sku``, the default) or per warehouse."""
    view = "warehouse" if request.GET.get("view") == "warehouse" else "sku"
    found = _filtered(request)
    levels = found.qs if not found.is_bound or found.is_valid() else found.queryset.none()
    if view == "sku":
        rows = page_of(request, stock_per_sku(levels))
    else:
        rows = page_of(request, levels.order_by("lease__listing__warehouse__name", "lease_id", "product__sku"))
    movements = movements_related(selectors.movements_of(request.organisation))[:LATEST]
    context = {"view": view, "filter": found, "rows": rows, "movements": movements}
    return render(request, "inventory/stock.html", context)


@organisation_required(exporter=True)
def stock_export(request: OrganisationRequest) -> HttpResponse:
    """The filtered stock per lease and SKU, as CSV."""
    found = _filtered(request)
    levels = found.qs if not found.is_bound or found.is_valid() else found.queryset.none()
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="stock.csv"'
    writer = csv.writer(response)
    writer.writerow(["warehouse", "city", "lease", "sku", "description", "on_hand", "held", "available"])
    for level in levels.order_by("lease__listing__warehouse__name", "lease_id", "product__sku"):
        warehouse = level.lease.listing.warehouse
        writer.writerow(
            [
                cell(warehouse.name),
                cell(warehouse.city),
                level.lease_id,
                cell(level.product.sku),
                cell(level.product.description),
                level.on_hand,
                level.held,
                level.available,
            ]
        )
    return response


@organisation_required(exporter=True)
def product_stock(request: OrganisationRequest, pk: int) -> HttpResponse:
    """One SKU: where it is, and its ledger (every movement, newest first)."""
    product = selectors.product_visible(request.organisation, pk)
    levels = selectors.stock_levels_of(request.organisation, product=product).select_related(
        "lease__listing__warehouse"
    )
    ledger = movements_related(selectors.movements_of(request.organisation, product=product))
    context = {"product": product, "levels": list(levels), "ledger": page_of(request, ledger)}
    return render(request, "inventory/product_stock.html", context)


@organisation_required
def lease_stock(request: OrganisationRequest, pk: int) -> HttpResponse:
    """A lease's stock and movements, for its exporter and the warehouse's owner."""
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    side = side_of(lease, request.organisation.pk)
    context = {
        "lease": lease,
        "warehouse": lease.listing.warehouse,
        "is_owner": side == OWNER,
        "levels": selectors.lease_stock(lease),
        "ledger": page_of(request, movements_related(lease_movements(lease))),
        "can_adjust": side == OWNER and bool(rules.adjust_allowed(lease, request.organisation.pk)),
        "can_order": side != OWNER and bool(rules.order_create_allowed(lease, request.organisation.pk)),
    }
    return render(request, "inventory/lease_stock.html", context)


@organisation_required(owner=True)
def stock_adjust(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The owner records found, lost or damaged units on a lease, with a reason and photos."""
    lease = lease_for(request, pk, OWNER)
    verdict = rules.adjust_allowed(lease, request.organisation.pk)
    if not verdict:
        messages.info(request, verdict.reason)
        return redirect("inventory:lease_stock", pk=lease.pk)
    products = Product.objects.filter(stock_levels__lease=lease).order_by("sku")
    form = AdjustmentForm(request.POST or None, request.FILES or None, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_adjust(
                lease=lease,
                product=data["product"],
                by=request.user,
                kind=data["kind"],
                quantity=data["quantity"],
                reason=data["reason"],
                photos=data["photos"],
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, _("Adjustment recorded. The exporter has been told."))
            return redirect("inventory:lease_stock", pk=lease.pk)
    context = {"lease": lease, "warehouse": lease.listing.warehouse, "form": form}
    return render(request, "inventory/stock_adjust.html", context)
