"""Changing a running lease: cancel (with its refund shown first) and extend."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from common.money import format_money

from .. import rules, services
from ..choices import CancelledBy, LeaseState
from ..forms import (
    CancelForm,
    ExtendForm,
)
from ..selectors import (
    EXPORTER,
    extension_quote,
    lease_cancellation_get,
    lease_detail_queryset,
    lease_live_extension,
)
from .common import lease_for, to_lease


@organisation_required
def lease_cancel(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The confirmation page: the exact refund, line by line, and the policy that makes it. The
    refund shown is posted back; if it changed meanwhile (a deadline passed), the page shows the
    new figures and nothing happens."""
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    side = rules.cancel_side(lease, request.organisation.pk)
    if side is None:
        messages.info(
            request,
            _("This lease is %(state)s: you cannot cancel it now.") % {"state": lease.get_state_display().lower()},
        )
        return to_lease(lease)
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
            return to_lease(cancelled)
    context = {"lease": lease, "view": lease_cancellation_get(lease=lease, side=side), "form": form}
    return render(request, "leasing/lease_cancel.html", context)


@organisation_required(exporter=True)
def lease_extend(request: OrganisationRequest, pk: int) -> HttpResponse:
    """GET ``?end=``: the price of the extra days (the lease page loads the preview with htmx);
    POST: ask the owner for them."""
    lease = lease_for(request, pk, EXPORTER)
    verdict = rules.extend(lease, rules.EXPORTER)
    if not verdict:
        messages.info(request, verdict.reason)
        extension = lease_live_extension(lease)
        return to_lease(extension if verdict.code == "already_extended" and extension else lease)
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
            return to_lease(extension)
    quote = None
    if form.is_bound and form.is_valid():
        quote = extension_quote(lease, end=form.cleaned_data["end"])
        if quote is None:
            form.add_error(None, _("Nothing of this lease is left on its last day to extend."))
    context = {"lease": lease, "form": form, "quote": quote, "htmx": request.headers.get("HX-Request") == "true"}
    return render(request, "leasing/lease_extend.html", context)
