"""Transfer pages: offer, the offer's page, accept, consent, withdraw."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from common.money import format_money

from .. import rules, schedule, transfers
from ..choices import OPEN_TRANSFER_STATES, ShipmentStatus, TransferGoods, TransferState
from ..exceptions import InvalidTransfer
from ..forms import (
    TransferConsentForm,
    TransferForm,
)
from ..models import Lease, LeaseTransfer
from ..selectors import (
    EXPORTER,
    lease_units_on,
    transfer_detail_get,
    transfer_offered_by,
    transfer_owned_by,
    transfer_receivers,
    transfer_visible_to,
)
from .common import lease_for, to_lease

TRANSFER_FIELDS = ("to_organisation", "quantity", "start", "price", "goods", "message")


def _transfer_price(params: Any) -> Decimal | None:
    """The price to work the refund out at, from the query string (None: one covering what the days cost)."""
    try:
        price = Decimal(params.get("price") or "")
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and price > 0 else None


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
    lease = lease_for(request, pk, EXPORTER)
    verdict = rules.transfer(lease, rules.EXPORTER)
    if not verdict:
        open_offer = lease.transfers.filter(state__in=OPEN_TRANSFER_STATES).first()
        if open_offer is not None:
            messages.info(request, _("This lease already has a transfer offer in progress."))
            return redirect(transfers.transfer_path(open_offer))
        messages.info(request, verdict.reason)
        return to_lease(lease)
    earliest = rules.transfer_earliest(lease)
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
            value = transfers.transfer_value(lease, quantity=quantity, start=start, price=_transfer_price(request.GET))
        except InvalidTransfer as error:
            problem = error.detail
        initial: dict[str, Any] = {"quantity": quantity, "start": start, "goods": TransferGoods.CARRY}
        initial |= {name: request.GET[name] for name in TRANSFER_FIELDS if request.GET.get(name)}
        initial.setdefault("price", value.cost if value else None)
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
