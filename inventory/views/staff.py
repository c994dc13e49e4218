"""The staff console's read-only inventory pages (mounted at /staff/inventory/, namespace ``staff_inventory``)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import staff_required

from ..choices import OrderStatus
from ..pages_selectors import staff_orders, staff_stock
from .common import page_of


@staff_required
def staff_stock_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    context = {"levels": page_of(request, staff_stock(search)), "q": search}
    return render(request, "inventory/staff/stock.html", context)


@staff_required
def staff_order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    context = {"orders": page_of(request, staff_orders(status)), "status": status, "statuses": OrderStatus.choices}
    return render(request, "inventory/staff/orders.html", context)
