"""Inbound shipments and check-in pages."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError

from .. import hooks, rules, services
from ..choices import LeaseState
from ..forms import (
    CheckInForm,
    DeclaredLineFormSet,
    ShipmentForm,
    ShipmentMarkForm,
)
from ..selectors import (
    EXPORTER,
    OWNER,
    shipment_owned_by,
)
from .common import lease_for, to_lease


@organisation_required(exporter=True)
def shipment_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = lease_for(request, pk, EXPORTER)
    verdict = rules.announce(lease, EXPORTER)
    if not verdict:
        messages.info(request, verdict.reason)
        return to_lease(lease)
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
            return to_lease(lease)
    context = {
        "lease": lease,
        "form": form,
        "lines": lines,
        "sku_choices": hooks.shipment_sku_choices(request.organisation),
    }
    return render(request, "leasing/shipment_form.html", context)


@organisation_required(owner=True)
@require_POST
def shipment_mark(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    form = ShipmentMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose in transit or arrived."))
        return to_lease(shipment.lease)
    try:
        services.shipment_mark(shipment=shipment, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Shipment %(tracking)s updated.") % {"tracking": shipment.tracking_number})
    return to_lease(shipment.lease)


@organisation_required(owner=True)
def checkin_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(shipment_owned_by(organisation=request.organisation), pk=pk)
    lease = shipment.lease
    verdict = rules.check_in(lease, OWNER, shipment)
    if not verdict:
        messages.info(request, verdict.reason)
        return to_lease(lease)
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
                damaged=form.damaged(),
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
            return to_lease(lease)
    context = {
        "lease": lease,
        "shipment": shipment,
        "form": form,
        "tolerance": settings.WARESHARE["CHECKIN_TOLERANCE_PERCENT"],
    }
    return render(request, "leasing/checkin_form.html", context)
