"""Lease pages. Thin: find the lease through the current organisation (another organisation's
lease is a 404), call one service or selector, turn ApplicationError into a form error or a
message, redirect after a POST."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
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

from . import schedule, services, transfers
from .choices import OPEN_TRANSFER_STATES, CancelledBy, LeaseState, ShipmentStatus, TransferGoods, TransferState
from .exceptions import InvalidTransfer
from .forms import (
    CancelForm,
    CheckInForm,
    CheckoutForm,
    DeclaredLineFormSet,
    DeclineForm,
    DisputeForm,
    ExtendForm,
    LeaseDatesForm,
    LeaseRequestForm,
    ShipmentForm,
    ShipmentMarkForm,
    TransferConsentForm,
    TransferForm,
)
from .models import Lease, LeaseTransfer
from .selectors import (
    EXPORTER,
    OWNER,
    exporter_dashboard_get,
    exporter_next_action,
    extension_quote,
    lease_actions,
    lease_breakdown,
    lease_cancellation_get,
    lease_detail_get,
    lease_detail_queryset,
    lease_live_extension,
    lease_units_on,
    owner_dashboard_get,
    shipment_owned_by,
    transfer_detail_get,
    transfer_offered_by,
    transfer_owned_by,
    transfer_receivers,
    transfer_visible_to,
)

PAGE_SIZE = 25
GATEWAY_SILENT = gettext_lazy("The payment service did not answer; nothing was charged twice — try again in a minute.")


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
        "transfers": _page(request, dashboard.transfers, "transfers"),
    }
    return render(request, "leasing/owner_dashboard.html", context)


@organisation_required(exporter=True)
def exporter_dashboard(request: OrganisationRequest) -> HttpResponse:
    dashboard = exporter_dashboard_get(organisation=request.organisation)
    pages = {name: _page(request, getattr(dashboard, name), name) for name in ("todo", "open", "closed")}
    for page in pages.values():
        for lease in page:
            lease.next_action = exporter_next_action(lease)
    context = {
        "dashboard": dashboard,
        **pages,
        "transfers_in": _page(request, dashboard.transfers_in, "transfers_in"),
        "transfers_out": _page(request, dashboard.transfers_out, "transfers_out"),
    }
    return render(request, "leasing/exporter_dashboard.html", context)


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
                    messages.success(request, _("Booked. Pay into escrow to secure the space."))
                else:
                    messages.success(
                        request,
                        _("Request sent to %(owner)s. The units are held for you.")
                        % {"owner": listing.warehouse.organisation},
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
    detail = lease_detail_get(lease=lease, organisation=request.organisation)
    context = {
        "lease": lease,
        "detail": detail,
        "decline_form": decline_form or DeclineForm(),
        "dispute_form": dispute_form or DisputeForm(),
        "extend_form": ExtendForm(lease=lease) if detail.changes.extend else None,
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
        messages.success(
            request, _("Accepted. %(exporter)s has been asked to pay into escrow.") % {"exporter": lease.exporter}
        )
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
            messages.success(request, _("Declined. The held units are free again."))
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
        messages.success(request, _("Withdrawn. Nothing was charged."))
    return _to_lease(lease)


@organisation_required(exporter=True)
@require_POST
def lease_confirm(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = _lease(request, pk, EXPORTER)
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
            messages.success(request, _("Dispute opened. What escrow holds stays there while Wareshare reviews it."))
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
        detail = _("This lease is %(state)s: there is nothing to pay.") % {"state": lease.get_state_display().lower()}
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
            form.add_error(None, _("%(problem)s (%(detail)s)") % {"problem": GATEWAY_SILENT, "detail": error.detail})
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
                messages.success(
                    request,
                    _("Paid %(amount)s into escrow. The owner is paid only after you confirm.") % {"amount": paid},
                )
            else:
                messages.warning(request, _("Your bank asks you to confirm this payment before it completes."))
            return _to_lease(lease)
    if wants_json and request.method == "POST":
        detail = " ".join(str(e) for e in form.non_field_errors()) or _("Check the payment details.")
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
        detail = _("Paid %(amount)s into escrow. The owner is paid only after you confirm.") % {"amount": paid}
    else:
        detail = _("Your bank is still confirming the payment; this lease shows it as paid once it completes.")
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
        messages.info(request, _("Shipments can be announced once the lease is paid and before check-in."))
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
            messages.success(request, _("Shipment announced. The owner has been told to expect it."))
            return _to_lease(lease)
    return render(request, "leasing/shipment_form.html", {"lease": lease, "form": form, "lines": lines})


@organisation_required(owner=True)
@require_POST
def shipment_mark(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    form = ShipmentMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose in transit or arrived."))
        return _to_lease(shipment.lease)
    try:
        services.shipment_mark(shipment=shipment, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Shipment %(tracking)s updated.") % {"tracking": shipment.tracking_number})
    return _to_lease(shipment.lease)


@organisation_required(owner=True)
def checkin_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    lease = shipment.lease
    if shipment not in lease_actions(lease=lease, side=OWNER, shipments=[shipment]).check_in:
        messages.info(request, _("Mark the shipment as arrived before checking it in."))
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
            lease.refresh_from_db(fields=["state"])
            waiting = services.shipments_waiting(lease)
            if lease.state == LeaseState.CHECKED_IN:
                messages.success(request, _("Checked in. The exporter has been asked to confirm."))
            elif waiting:
                messages.success(
                    request,
                    ngettext(
                        "Checked in. %(count)s more shipment to come.",
                        "Checked in. %(count)s more shipments to come.",
                        waiting,
                    )
                    % {"count": waiting},
                )
            else:
                messages.success(request, _("Checked in."))
            return _to_lease(lease)
    context = {
        "lease": lease,
        "shipment": shipment,
        "form": form,
        "tolerance": settings.WARESHARE["CHECKIN_TOLERANCE_PERCENT"],
    }
    return render(request, "leasing/checkin_form.html", context)


# --- Cancelling, with the refund shown first ------------------------------------------------------


@organisation_required
def lease_cancel(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The confirmation page: the exact refund, line by line, and the policy that makes it. The
    refund shown is posted back; if it changed meanwhile (a deadline passed), the page shows the
    new figures and nothing happens."""
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    side = services.lease_cancel_side(lease, request.organisation)
    if side is None:
        messages.info(
            request,
            _("This lease is %(state)s: you cannot cancel it now.") % {"state": lease.get_state_display().lower()},
        )
        return _to_lease(lease)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.lease_cancel(
                lease=lease, by=request.user, side=side, expected_refund=form.cleaned_data["expected_refund"]
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            refund = format_money(form.cleaned_data["expected_refund"], cancelled.currency)
            if side == CancelledBy.OWNER:
                messages.success(
                    request,
                    _("Cancelled. %(exporter)s is refunded %(refund)s, everything it paid.")
                    % {"exporter": cancelled.exporter, "refund": refund},
                )
            elif form.cleaned_data["expected_refund"]:
                messages.success(request, _("Cancelled. %(refund)s is refunded to your card.") % {"refund": refund})
            else:
                messages.success(request, _("Cancelled. Under the listing's policy nothing is refunded."))
            return _to_lease(cancelled)
    context = {"lease": lease, "view": lease_cancellation_get(lease=lease, side=side), "form": form}
    return render(request, "leasing/lease_cancel.html", context)


# --- Extending -------------------------------------------------------------------------------------


@organisation_required(exporter=True)
def lease_extend(request: OrganisationRequest, pk: int) -> HttpResponse:
    """GET ``?end=``: the price of the extra days (the lease page loads the preview with htmx);
    POST: ask the owner for them."""
    lease = _lease(request, pk, EXPORTER)
    if lease.state != LeaseState.ACTIVE:
        messages.info(request, _("A lease can be extended while it is active."))
        return _to_lease(lease)
    extension = lease_live_extension(lease)
    if extension is not None and extension.state not in (LeaseState.REQUESTED, LeaseState.ACCEPTED):
        messages.info(
            request,
            _("This lease is already extended by lease #%(lease)s: extend that one instead.") % {"lease": extension.pk},
        )
        return _to_lease(extension)
    data = request.POST if request.method == "POST" else request.GET if "end" in request.GET else None
    form = ExtendForm(data, lease=lease)
    if request.method == "POST" and form.is_valid():
        try:
            extension = services.lease_extend(lease=lease, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            if extension.state == LeaseState.ACCEPTED:
                total = format_money(extension.total, extension.currency)
                messages.success(
                    request, _("Extension booked. Pay %(total)s into escrow to keep the space.") % {"total": total}
                )
            else:
                messages.success(
                    request,
                    _("Extension requested from %(owner)s. The units are held until the owner answers.")
                    % {"owner": lease.owner},
                )
            return _to_lease(extension)
    quote = None
    if form.is_bound and form.is_valid():
        quote = extension_quote(lease, end=form.cleaned_data["end"])
        if quote is None:
            form.add_error(None, _("Nothing of this lease is left on its last day to extend."))
    context = {"lease": lease, "form": form, "quote": quote, "htmx": request.headers.get("HX-Request") == "true"}
    return render(request, "leasing/lease_extend.html", context)


# --- Transfers -------------------------------------------------------------------------------------

TRANSFER_FIELDS = ("to_organisation", "quantity", "start", "price", "goods", "message")


def _transfer_terms(lease: Lease, params: Any, *, held: int, earliest: date) -> tuple[int, date]:
    """The quantity and first day to price, from the query string (the defaults: all, from the earliest)."""
    try:
        quantity = int(params.get("quantity") or held)
    except ValueError:
        quantity = held
    try:
        start = date.fromisoformat(params.get("start") or "")
    except ValueError:
        start = earliest
    return quantity, start


@organisation_required(exporter=True)
def transfer_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The offer form with what the exporter gets back (GET re-prices for ``?quantity=&start=``;
    htmx swaps the figures in as they change). POST shows the terms and figures to confirm;
    POST with ``confirm`` makes the offer."""
    lease = _lease(request, pk, EXPORTER)
    if lease.state not in transfers.TRANSFERABLE:
        messages.info(request, _("A lease can be transferred once it is paid into escrow, until it ends."))
        return _to_lease(lease)
    open_offer = lease.transfers.filter(state__in=OPEN_TRANSFER_STATES).first()
    if open_offer is not None:
        messages.info(request, _("This lease already has a transfer offer in progress."))
        return redirect(transfers.transfer_path(open_offer))
    earliest = transfers.transfer_earliest(lease)
    if earliest > lease.end:
        messages.info(
            request,
            _("Every day of this lease is used or already paid out to the owner: nothing is left to hand on."),
        )
        return _to_lease(lease)
    held = lease_units_on(lease, earliest)
    checked_in = lease.shipments.filter(status=ShipmentStatus.CHECKED_IN).exists()
    options: dict[str, Any] = {
        "lease": lease,
        "receivers": transfer_receivers(lease=lease),
        "held": held,
        "earliest": earliest,
        "checked_in": checked_in,
    }
    if request.method == "POST":
        form = TransferForm(request.POST, **options)
        if form.is_valid():
            terms = {name: form.cleaned_data[name] for name in TRANSFER_FIELDS if name in form.cleaned_data}
            if "confirm" in request.POST:
                try:
                    transfer = transfers.transfer_offer(lease=lease, by=request.user, **terms)
                except ApplicationError as error:
                    form.add_error(None, error_html(error))
                else:
                    if transfer.to_organisation:
                        offered = _("Transfer offered to %(organisation)s.") % {
                            "organisation": transfer.to_organisation
                        }
                    else:
                        offered = _("Transfer offered to anyone with its link.")
                    messages.success(request, offered)
                    return redirect(transfers.transfer_path(transfer))
            else:
                change = {name: request.POST.get(name, "") for name in TRANSFER_FIELDS}
                context = {
                    "lease": lease,
                    "form": form,
                    "value": form.value,
                    "fee_percent": schedule.transfer_fee_percent(),
                    "terms": terms,
                    "goods_label": TransferGoods(terms["goods"]).label,
                    "change_url": f"{request.path}?{urlencode(change)}",
                }
                return render(request, "leasing/transfer_confirm.html", context)
        value, problem = form.value, ""
        quantity, start = form.cleaned_data.get("quantity") or held, form.cleaned_data.get("start") or earliest
    else:
        quantity, start = _transfer_terms(lease, request.GET, held=held, earliest=earliest)
        value, problem = None, ""
        try:
            value = transfers.transfer_value(lease, quantity=quantity, start=start)
        except InvalidTransfer as error:
            problem = error.detail
        initial: dict[str, Any] = {"quantity": quantity, "start": start, "goods": TransferGoods.CARRY}
        initial |= {name: request.GET[name] for name in TRANSFER_FIELDS if request.GET.get(name)}
        initial.setdefault("price", value.value if value else None)
        form = TransferForm(initial=initial, **options)
    context = {
        "lease": lease,
        "form": form,
        "value": value,
        "problem": problem,
        "quantity": quantity,
        "start": start,
        "fee_percent": schedule.transfer_fee_percent(),
        "checked_in": checked_in,
    }
    return render(request, "leasing/transfer_form.html", context)


def _render_transfer(
    request: OrganisationRequest, transfer: LeaseTransfer, *, consent_form: TransferConsentForm | None = None
) -> HttpResponse:
    context = {
        "transfer": transfer,
        "detail": transfer_detail_get(transfer=transfer, organisation=request.organisation),
        "consent_form": consent_form or TransferConsentForm(),
        "share_url": request.build_absolute_uri(transfers.transfer_path(transfer, share=True)),
        "key": _key(request),
        "fee_percent": schedule.transfer_fee_percent(),
    }
    return render(request, "leasing/transfer_detail.html", context)


def _key(request: OrganisationRequest) -> str:
    """An open offer's key, from its shared link (or the accept form that carries it on)."""
    return str(request.POST.get("key") or request.GET.get("key") or "")


@organisation_required
def transfer_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(transfer_visible_to(organisation=request.organisation, key=_key(request)), pk=pk)
    return _render_transfer(request, transfer)


def _to_transfer(request: OrganisationRequest, transfer: LeaseTransfer) -> HttpResponse:
    """Back to the transfer page, or to the dashboard if the viewer can no longer see it (an open
    offer someone else took)."""
    if transfer_visible_to(organisation=request.organisation).filter(pk=transfer.pk).exists():
        return redirect(transfers.transfer_path(transfer))
    return redirect("leasing:exporter_dashboard")


@organisation_required(exporter=True)
@require_POST
def transfer_accept(request: OrganisationRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(transfer_visible_to(organisation=request.organisation, key=_key(request)), pk=pk)
    try:
        transfer = transfers.transfer_accept(transfer=transfer, by=request.user, organisation=request.organisation)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        if transfer.state == TransferState.APPROVED:
            price = format_money(transfer.price, transfer.currency)
            messages.success(
                request,
                _("Taken. The listing needs no consent: pay %(price)s into escrow to complete it.") % {"price": price},
            )
        else:
            messages.success(
                request,
                _("Taken. %(owner)s is asked to consent; you pay once it does.") % {"owner": transfer.lease.owner},
            )
    return _to_transfer(request, transfer)


@organisation_required(owner=True)
@require_POST
def transfer_consent(request: OrganisationRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(transfer_owned_by(organisation=request.organisation), pk=pk)
    form = TransferConsentForm(request.POST)
    if form.is_valid():
        try:
            transfer = transfers.transfer_consent(
                transfer=transfer, by=request.user, approve=form.approve, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            if form.approve:
                messages.success(
                    request, _("Approved. %(receiver)s is asked to pay into escrow.") % {"receiver": transfer.receiver}
                )
            else:
                messages.success(request, _("Refused. Both exporters are told why; the lease continues as it was."))
            return redirect(transfers.transfer_path(transfer))
    return _render_transfer(request, transfer, consent_form=form)


@organisation_required(exporter=True)
@require_POST
def transfer_withdraw(request: OrganisationRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(transfer_offered_by(organisation=request.organisation), pk=pk)
    try:
        transfers.transfer_withdraw(transfer=transfer, by=request.user)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(request, _("Transfer offer withdrawn. The lease continues as it was."))
    return redirect(transfers.transfer_path(transfer))
