"""Outbound orders: the exporter's list and new order, the order page with its timeline (both
sides), the owner's steps (accept, refuse, pick, ship, deliver), queue and pick list."""

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from leasing.models import Lease

from .. import rules, selectors, services
from ..choices import OrderKind
from ..forms import LeaseChoiceForm, OrderForm, RefuseForm, ShipForm
from ..models import OrderEvent, OutboundLine, OutboundOrder
from ..pages_selectors import orders_related
from .common import EXPORTER, OWNER, back_to, page_of

DONE = {
    "cancel": gettext_lazy("Order cancelled."),
    "accept": gettext_lazy("Order accepted: its stock is held for it."),
    "refuse": gettext_lazy("Order refused. The exporter has been told why."),
    "pick": gettext_lazy("Marked as picked."),
    "ship": gettext_lazy("Shipped. The exporter sees the tracking number."),
    "deliver": gettext_lazy("Marked as delivered."),
}


def _order(request: OrganisationRequest, pk: int) -> OutboundOrder:
    """The order ``pk`` if the current organisation is its exporter or owns its warehouse; else a 404."""
    order = selectors.order_visible(request.organisation, pk)
    order = (
        OutboundOrder.objects.select_related("lease__listing__warehouse__organisation", "lease__exporter")
        .prefetch_related(
            Prefetch("lines", queryset=OutboundLine.objects.select_related("product")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        )
        .get(pk=order.pk)
    )
    return order


def _steps(orders: Any, side: str) -> None:
    for order in orders:
        order.steps = rules.order_allowed(order, side)


@organisation_required(exporter=True)
def order_list(request: OrganisationRequest) -> HttpResponse:
    orders = orders_related(selectors.orders_of_exporter(request.organisation)).order_by("-created_at", "-pk")
    page = page_of(request, orders)
    _steps(page, EXPORTER)
    return render(request, "inventory/order_list.html", {"orders": page})


@organisation_required(owner=True)
def outbound_queue(request: OrganisationRequest) -> HttpResponse:
    orders = orders_related(selectors.outbound_queue(request.organisation)).order_by("created_at", "pk")
    page = page_of(request, orders)
    _steps(page, OWNER)
    context = {"orders": page, "refuse_form": RefuseForm(), "ship_form": ShipForm()}
    return render(request, "inventory/outbound_queue.html", context)


@organisation_required(exporter=True)
def order_create(request: OrganisationRequest) -> HttpResponse:
    """Step one: choose the lease (``?lease=``). Step two: the lines, how they leave, the consignee."""
    organisation = request.organisation
    leases = list(
        Lease.objects.filter(exporter=organisation, stock_levels__on_hand__gt=0)
        .select_related("listing__warehouse")
        .distinct()
        .order_by("-pk")
    )
    choices = [
        (
            lease.pk,
            _("Lease #%(lease)s — %(warehouse)s, %(city)s")
            % {
                "lease": lease.pk,
                "warehouse": lease.listing.warehouse.name,
                "city": lease.listing.warehouse.city,
            },
        )
        for lease in leases
    ]
    chosen = LeaseChoiceForm(request.GET if "lease" in request.GET else None, leases=choices)
    if not chosen.is_bound or not chosen.is_valid():
        return render(request, "inventory/order_create.html", {"chosen": chosen, "form": None, "leases": leases})
    lease = next(lease for lease in leases if lease.pk == chosen.cleaned_data["lease"])
    verdict = rules.order_create_allowed(lease, organisation.pk)
    if not verdict:
        messages.info(request, verdict.reason)
        return redirect("inventory:order_create")
    levels = [level for level in selectors.lease_stock(lease) if level.on_hand > 0]
    form = OrderForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consignee = {name: data[name] for name in form.Meta.fields if name.startswith("consignee_")}
        try:
            order = services.order_create(
                lease=lease,
                by=request.user,
                kind=data["kind"],
                lines=form.lines(),
                reference=data["reference"],
                **consignee,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, _("Order sent to the warehouse. You are told when it ships."))
            return redirect("inventory:order_detail", pk=order.pk)
    context = {"chosen": chosen, "form": form, "lease": lease, "leases": leases, "removal": OrderKind.REMOVAL}
    return render(request, "inventory/order_create.html", context)


@organisation_required
def order_detail(request: OrganisationRequest, pk: int, **forms: Any) -> HttpResponse:
    order = _order(request, pk)
    side = rules.order_side(order, request.organisation.pk) or OWNER
    context = {
        "order": order,
        "lease": order.lease,
        "warehouse": order.lease.listing.warehouse,
        "side": side,
        "steps": rules.order_allowed(order, side),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "ship_form": forms.get("ship_form") or ShipForm(),
    }
    return render(request, "inventory/order_detail.html", context)


@organisation_required
@require_POST
def order_step(request: OrganisationRequest, pk: int, step: str) -> HttpResponse:
    """One step of the order; the service decides whether the person's side may take it now."""
    if step not in rules.ORDER_STEPS:
        raise Http404("No such step.")
    order = _order(request, pk)
    kwargs: dict[str, Any] = {}
    if step in ("refuse", "ship"):
        form = RefuseForm(request.POST) if step == "refuse" else ShipForm(request.POST)
        if not form.is_valid():
            return order_detail(request, pk, **{f"{step}_form": form})
        kwargs = form.cleaned_data
    try:
        getattr(services, f"order_{step}")(order=order, by=request.user, **kwargs)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(request, DONE[step])
    return back_to(request, "inventory:order_detail", order.pk)


@organisation_required(owner=True)
def pick_list(request: OrganisationRequest, pk: int) -> HttpResponse:
    """A plain page to print: what to take off the shelves for one order."""
    order = _order(request, pk)
    if rules.order_side(order, request.organisation.pk) != OWNER:
        raise Http404("Only the warehouse prints the pick list.")
    context = {"order": order, "lease": order.lease, "warehouse": order.lease.listing.warehouse}
    return render(request, "inventory/pick_list.html", context)
