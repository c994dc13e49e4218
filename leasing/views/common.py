"""What every lease view shares: finding the lease through the current organisation, paging, the lease page."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy

from accounts.types import OrganisationRequest

from ..forms import (
    DeclineForm,
    ExtendForm,
)
from ..models import Lease
from ..selectors import (
    OWNER,
    lease_detail_get,
    lease_detail_queryset,
)

PAGE_SIZE = 25


GATEWAY_SILENT = gettext_lazy("The payment service did not answer; nothing was charged twice — try again in a minute.")


def page_of(request: OrganisationRequest, queryset: QuerySet[Any], param: str) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def lease_for(request: OrganisationRequest, pk: int, side: str) -> Lease:
    """The lease ``pk`` if the current organisation is its ``side``; else a 404."""
    organisation = request.organisation
    leases = lease_detail_queryset(organisation=organisation)
    if side == OWNER:
        leases = leases.filter(listing__warehouse__organisation=organisation)
    else:
        leases = leases.filter(exporter=organisation)
    return get_object_or_404(leases, pk=pk)


def to_lease(lease: Lease) -> HttpResponse:
    return redirect("leasing:lease_detail", pk=lease.pk)


def lease_page_render(
    request: OrganisationRequest,
    lease: Lease,
    *,
    decline_form: DeclineForm | None = None,
    **context: Any,
) -> HttpResponse:
    """The lease page; ``context`` adds to it (trust's dispute view passes its bound form back)."""
    detail = lease_detail_get(lease=lease, organisation=request.organisation)
    context = {
        "lease": lease,
        "detail": detail,
        "decline_form": decline_form or DeclineForm(),
        "extend_form": ExtendForm(lease=lease) if detail.changes.extend else None,
        **detail.extras,
        **context,
    }
    return render(request, "leasing/lease_detail.html", context)
