"""Dashboards, requesting a lease, the lease page and the plain steps on it (accept, decline, withdraw, confirm)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from warehouses.pricing import listing_quote
from warehouses.selectors import listing_public_queryset

from .. import services
from ..choices import LeaseState
from ..forms import (
    DeclineForm,
    LeaseDatesForm,
    LeaseRequestForm,
)
from ..selectors import (
    EXPORTER,
    OWNER,
    exporter_dashboard_get,
    exporter_next_action,
    lease_detail_queryset,
    owner_dashboard_get,
)
from .common import lease_for, lease_page_render, page_of, to_lease


@organisation_required(owner=True)
def owner_dashboard(request: OrganisationRequest) -> HttpResponse:
    dashboard = owner_dashboard_get(organisation=request.organisation)
    context = {
        "dashboard": dashboard,
        "inbox": page_of(request, dashboard.inbox, "inbox"),
        "shipments": page_of(request, dashboard.shipments, "shipments"),
        "open": page_of(request, dashboard.open, "open"),
        "closed": page_of(request, dashboard.closed, "closed"),
        "transfers": page_of(request, dashboard.transfers, "transfers"),
    }
    return render(request, "leasing/owner_dashboard.html", context)


@organisation_required(exporter=True)
def exporter_dashboard(request: OrganisationRequest) -> HttpResponse:
    dashboard = exporter_dashboard_get(organisation=request.organisation)
    pages = {name: page_of(request, getattr(dashboard, name), name) for name in ("todo", "open", "closed")}
    for page in pages.values():
        for lease in page:
            lease.next_action = exporter_next_action(lease)
    context = {
        "dashboard": dashboard,
        **pages,
        "transfers_in": page_of(request, dashboard.transfers_in, "transfers_in"),
        "transfers_out": page_of(request, dashboard.transfers_out, "transfers_out"),
    }
    return render(request, "leasing/exporter_dashboard.html", context)


@organisation_required(exporter=True)
def lease_request(request: OrganisationRequest, pk: int) -> HttpResponse:
    listing = get_object_or_404(listing_public_queryset(), pk=pk)
    dates: LeaseDatesForm | None
    if request.method == "POST":
        form = LeaseRequestForm(request.POST, listing=listing)
        if form.is_valid():
            try:
                lease = services.lease_request(
                    listing=listing, exporter=request.organisation, by=request.user, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(None, error_html(error))
            else:
                if listing.instant_book:
                    messages.success(request, _("Booked. Pay into escrow to secure the space."))
                else:
                    messages.success(
                        request,
                        _("Request sent to %(owner)s. The units are held for you.")
                        % {"owner": listing.warehouse.organisation},
                    )
                return to_lease(lease)
        dates = form
    else:
        initial = {name: value for name, value in request.GET.items() if name in LeaseRequestForm.base_fields}
        form = LeaseRequestForm(initial=initial, listing=listing)
        dates = LeaseDatesForm(request.GET, listing=listing) if "start" in request.GET else None
    quote = None
    if dates is not None and dates.dates_ok:
        data = dates.cleaned_data
        quote = listing_quote(listing=listing, start=data["start"], end=data["end"], quantity=data["quantity"])
    context = {"listing": listing, "warehouse": listing.warehouse, "form": form, "dates": dates, "quote": quote}
    return render(request, "leasing/lease_request.html", context)


@organisation_required
def lease_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    return lease_page_render(request, lease)


@organisation_required(owner=True)
@require_POST
def lease_accept(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = lease_for(request, pk, OWNER)
    try:
        services.lease_accept(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(
            request, _("Accepted. %(exporter)s has been asked to pay into escrow.") % {"exporter": lease.exporter}
        )
    return to_lease(lease)


@organisation_required(owner=True)
@require_POST
def lease_decline(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = lease_for(request, pk, OWNER)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.lease_decline(lease=lease, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error("reason", error.detail)
        else:
            messages.success(request, _("Declined. The held units are free again."))
            return to_lease(lease)
    return lease_page_render(request, lease, decline_form=form)


@organisation_required(exporter=True)
@require_POST
def lease_withdraw(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = lease_for(request, pk, EXPORTER)
    try:
        services.lease_withdraw(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Withdrawn. Nothing was charged."))
    return to_lease(lease)


@organisation_required(exporter=True)
@require_POST
def lease_confirm(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = lease_for(request, pk, EXPORTER)
    part = lease.state == LeaseState.FUNDED  # confirming what arrived, with shipments still to come
    try:
        services.lease_confirm(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        if part:
            messages.success(
                request,
                _(
                    "Confirmed what arrived. The payment is released to the owner and your lease is active; "
                    "the owner still checks in the shipments to come."
                ),
            )
        else:
            messages.success(request, _("Confirmed. The payment is released to the owner and your lease is active."))
    return to_lease(lease)
