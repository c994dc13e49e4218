"""Lease pages. Thin: find the lease through the current organisation (another organisation's
lease is a 404), call one service or selector, turn ApplicationError into a form error or a
message, redirect after a POST."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from common.money import Money, format_money
from escrow.choices import PaymentStatus
from escrow.exceptions import GatewayUnavailable, PaymentDeclined
from escrow.gateways import gateway_name, get_gateway
from trust.selectors import dispute_latest_for
from warehouses.pricing import listing_quote
from warehouses.selectors import listing_public_queryset

from . import services
from .choices import LeaseState
from .forms import (
    CheckInForm,
    CheckoutForm,
    DeclaredLineFormSet,
    DeclineForm,
    DisputeForm,
    LeaseDatesForm,
    LeaseRequestForm,
    ShipmentForm,
    ShipmentMarkForm,
)
from .models import Lease
from .selectors import (
    EXPORTER,
    OWNER,
    exporter_dashboard_get,
    exporter_next_action,
    lease_actions,
    lease_breakdown,
    lease_detail_get,
    lease_detail_queryset,
    owner_dashboard_get,
    shipment_owned_by,
)

PAGE_SIZE = 25
GATEWAY_SILENT = "The payment service did not answer; nothing was charged twice — try again in a minute."


def _page(request: OrganisationRequest, queryset: QuerySet[Any], param: str) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def _lease(request: OrganisationRequest, pk: int, side: str) -> Lease:
    """The lease ``pk`` if the current organisation is its ``side``; else a 404."""
    organisation = request.organisation
    leases = lease_detail_queryset(organisation=organisation)
    if side == OWNER:
        leases = leases.filter(listing__warehouse__organisation=organisation)
    else:
        leases = leases.filter(exporter=organisation)
    return get_object_or_404(leases, pk=pk)


def _to_lease(lease: Lease) -> HttpResponse:
    return redirect("leasing:lease_detail", pk=lease.pk)


# --- Dashboards ------------------------------------------------------------------------------


@organisation_required(owner=True)
def owner_dashboard(request: OrganisationRequest) -> HttpResponse:
    dashboard = owner_dashboard_get(organisation=request.organisation)
    context = {
        "dashboard": dashboard,
        "inbox": _page(request, dashboard.inbox, "inbox"),
        "shipments": _page(request, dashboard.shipments, "shipments"),
        "open": _page(request, dashboard.open, "open"),
        "closed": _page(request, dashboard.closed, "closed"),
    }
    return render(request, "leasing/owner_dashboard.html", context)


@organisation_required(exporter=True)
def exporter_dashboard(request: OrganisationRequest) -> HttpResponse:
    dashboard = exporter_dashboard_get(organisation=request.organisation)
    pages = {name: _page(request, getattr(dashboard, name), name) for name in ("todo", "open", "closed")}
    for page in pages.values():
        for lease in page:
            lease.next_action = exporter_next_action(lease)
    return render(request, "leasing/exporter_dashboard.html", {"dashboard": dashboard, **pages})


# --- Requesting a lease ----------------------------------------------------------------------


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
                    messages.success(request, "Booked. Pay into escrow to secure the space.")
                else:
                    messages.success(
                        request, f"Request sent to {listing.warehouse.organisation}. The units are held for you."
                    )
                return _to_lease(lease)
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


# --- The lease page and its actions ----------------------------------------------------------


@organisation_required
def lease_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    return _render_detail(request, lease)


def _render_detail(
    request: OrganisationRequest,
    lease: Lease,
    *,
    decline_form: DeclineForm | None = None,
    dispute_form: DisputeForm | None = None,
) -> HttpResponse:
    context = {
        "lease": lease,
        "detail": lease_detail_get(lease=lease, organisation=request.organisation),
        "decline_form": decline_form or DeclineForm(),
        "dispute_form": dispute_form or DisputeForm(),
    }
    return render(request, "leasing/lease_detail.html", context)


@organisation_required(owner=True)
@require_POST
def lease_accept(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, OWNER)
    try:
        services.lease_accept(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(request, f"Accepted. {lease.exporter} has been asked to pay into escrow.")
    return _to_lease(lease)


@organisation_required(owner=True)
@require_POST
def lease_decline(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, OWNER)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.lease_decline(lease=lease, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error("reason", error.detail)
        else:
            messages.success(request, "Declined. The held units are free again.")
            return _to_lease(lease)
    return _render_detail(request, lease, decline_form=form)


@organisation_required(exporter=True)
@require_POST
def lease_withdraw(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, EXPORTER)
    try:
        services.lease_withdraw(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Withdrawn. Nothing was charged.")
    return _to_lease(lease)


@organisation_required(exporter=True)
@require_POST
def lease_confirm(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, EXPORTER)
    try:
        services.lease_confirm(lease=lease, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Confirmed. The payment is released to the owner and your lease is active.")
    return _to_lease(lease)


@organisation_required
@require_POST
def lease_dispute(request: OrganisationRequest, pk: int) -> HttpResponse:
    """Either side may ask; the service decides who may dispute what (the exporter the check-in,
    either side damage or loss on an active lease)."""
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    form = DisputeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.lease_dispute(
                lease=lease,
                by=request.user,
                reason=form.cleaned_data["reason"],
                kind="damage_or_loss" if lease.state == LeaseState.ACTIVE else "check_in",
                claimed_amount=form.cleaned_data["claimed_amount"],
                evidence=form.cleaned_data["evidence"],
                organisation=request.organisation,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, "Dispute opened. What escrow holds stays there while Wareshare reviews it.")
            dispute = dispute_latest_for(lease=lease)
            return redirect("trust:dispute_detail", pk=dispute.pk) if dispute else _to_lease(lease)
    return _render_detail(request, lease, dispute_form=form)


# --- Paying into escrow ----------------------------------------------------------------------


@organisation_required(exporter=True)
def lease_pay(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The checkout. With Stripe, static/js/checkout.js posts here with ``Accept: application/json``:
    first the PaymentMethod id (answers the status, and the client secret when the bank asks for
    3-D Secure), then, once the browser handled that, ``payment_intent`` to finalize."""
    lease = _lease(request, pk, EXPORTER)
    wants_json = "application/json" in request.headers.get("Accept", "")
    payment_id = request.POST.get("payment_intent") or request.GET.get("payment_intent") or ""
    if payment_id:
        return _lease_pay_finalize(request, lease, payment_id, wants_json=wants_json)
    if not lease_actions(lease=lease, side=EXPORTER, shipments=[]).pay:
        detail = f"This lease is {lease.get_state_display().lower()}: there is nothing to pay."
        if wants_json:
            return JsonResponse({"code": "nothing_to_pay", "detail": detail, "redirect": _lease_url(lease)}, status=409)
        messages.info(request, detail)
        return _to_lease(lease)
    simulated = gateway_name() == "simulated"
    form = CheckoutForm(request.POST or None, simulated=simulated)
    suggest_other_card = False
    status, code = 400, "invalid"
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.lease_pay(
                lease=lease, by=request.user, payment_method=form.cleaned_data["payment_method"]
            )
        except PaymentDeclined as error:
            # The processor's words first; add the way out only where they do not give it.
            suggest_other_card = "another card" not in error.detail.lower()
            form.add_error(None, error.detail)
            status, code = error.status, error.code
        except GatewayUnavailable as error:
            form.add_error(None, f"{GATEWAY_SILENT} ({error.detail})")
            status, code = error.status, error.code
        except ApplicationError as error:
            form.add_error(None, error_html(error))
            status, code = error.status, error.code
        else:
            if wants_json:
                return JsonResponse(
                    {
                        "status": payment.status,
                        "payment_intent": payment.processor_id,
                        "client_secret": (
                            payment.client_secret if payment.status == PaymentStatus.REQUIRES_ACTION else ""
                        ),
                        "redirect": _lease_url(lease),
                    }
                )
            if payment.status == PaymentStatus.SUCCEEDED:
                paid = format_money(payment.amount, payment.currency)
                messages.success(request, f"Paid {paid} into escrow. The owner is paid only after you confirm.")
            else:
                messages.warning(request, "Your bank asks you to confirm this payment before it completes.")
            return _to_lease(lease)
    if wants_json and request.method == "POST":
        detail = " ".join(str(e) for e in form.non_field_errors()) or "Check the payment details."
        return JsonResponse({"code": code, "detail": detail}, status=status)
    stripe_checkout = None
    if not simulated and settings.STRIPE_PUBLISHABLE_KEY:
        stripe_checkout = get_gateway().checkout_options(amount=Money(lease.total, lease.currency))
    context = {
        "lease": lease,
        "breakdown": lease_breakdown(lease),
        "form": form,
        "simulated": simulated,
        "suggest_other_card": suggest_other_card,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_checkout": stripe_checkout,
    }
    return render(request, "leasing/checkout.html", context)


def _lease_url(lease: Lease) -> str:
    return reverse("leasing:lease_detail", args=[lease.pk])


def _lease_pay_finalize(
    request: OrganisationRequest, lease: Lease, payment_id: str, *, wants_json: bool
) -> HttpResponse:
    """After 3-D Secure in the browser (or Stripe's redirect back with ``?payment_intent=``)."""
    try:
        payment = services.lease_pay_finalize(lease=lease, by=request.user, payment_id=payment_id)
    except ApplicationError as error:
        if wants_json:
            return JsonResponse(error.as_json(), status=error.status)
        messages.error(request, error.detail)
        return redirect("leasing:lease_pay", pk=lease.pk)
    if payment.status == PaymentStatus.SUCCEEDED:
        paid = format_money(payment.amount, payment.currency)
        detail = f"Paid {paid} into escrow. The owner is paid only after you confirm."
    else:
        detail = "Your bank is still confirming the payment; this lease shows it as paid once it completes."
    if wants_json:
        return JsonResponse({"status": payment.status, "detail": detail, "redirect": _lease_url(lease)})
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, detail)
    else:
        messages.info(request, detail)
    return _to_lease(lease)


# --- Shipments and check-in --------------------------------------------------------------------


@organisation_required(exporter=True)
def shipment_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, EXPORTER)
    if not lease_actions(lease=lease, side=EXPORTER, shipments=[]).announce:
        messages.info(request, "Shipments can be announced once the lease is paid and before check-in.")
        return _to_lease(lease)
    form = ShipmentForm(request.POST or None)
    lines = DeclaredLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        declared = [
            services.DeclaredLine(
                description=row["description"], quantity=row["quantity"], sku=row["sku"], weight_kg=row["weight_kg"]
            )
            for row in lines.cleaned_data
            if row
        ]
        try:
            services.shipment_announce(lease=lease, by=request.user, lines=declared, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, "Shipment announced. The owner has been told to expect it.")
            return _to_lease(lease)
    return render(request, "leasing/shipment_form.html", {"lease": lease, "form": form, "lines": lines})


@organisation_required(owner=True)
@require_POST
def shipment_mark(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    form = ShipmentMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose in transit or arrived.")
        return _to_lease(shipment.lease)
    try:
        services.shipment_mark(shipment=shipment, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Shipment {shipment.tracking_number} updated.")
    return _to_lease(shipment.lease)


@organisation_required(owner=True)
def checkin_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    lease = shipment.lease
    if shipment not in lease_actions(lease=lease, side=OWNER, shipments=[shipment]).check_in:
        messages.info(request, "Mark the shipment as arrived before checking it in.")
        return _to_lease(lease)
    form = CheckInForm(request.POST or None, request.FILES or None, lines=list(shipment.lines.all()))
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_record(
                shipment=shipment,
                by=request.user,
                received=form.received(),
                condition=form.cleaned_data["condition"],
                notes=form.cleaned_data["notes"],
                photos=form.cleaned_data["photos"],
            )
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, "Checked in. The exporter has been asked to confirm.")
            return _to_lease(lease)
    context = {
        "lease": lease,
        "shipment": shipment,
        "form": form,
        "tolerance": settings.WARESHARE["CHECKIN_TOLERANCE_PERCENT"],
    }
    return render(request, "leasing/checkin_form.html", context)
