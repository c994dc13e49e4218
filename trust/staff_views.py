"""The staff console (``trust.staff_urls``): its front page, the head of each queue, and the trust
screens behind it: verification, disputes, blacklist, ledgers, audit log.
Every view is ``staff_required`` (staff with MFA; anyone else gets a 404 or the MFA setup page).
Every write goes through a service that records an audit entry in the same transaction."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from accounts.models import Organisation
from accounts.types import AuthenticatedRequest
from common.exceptions import ApplicationError, error_html
from escrow.ledger import escrow_held
from leasing.models import Lease

from . import services
from .forms import (
    BlacklistForm,
    BlacklistRemoveForm,
    DisputeMessageForm,
    OrganisationSearchForm,
    RejectForm,
    ResolutionForm,
)
from .models import BlacklistEntry, DisputeAttachment, VerificationDocument
from .selectors import (
    audit_log,
    blacklist_history,
    blacklist_in_force,
    console_get,
    dispute_for_staff,
    dispute_queue,
    dispute_resolved_recent,
    dispute_thread,
    lease_ledger_get,
    organisation_ledger_get,
    organisation_search,
    verification_for_staff,
    verification_queue,
    verification_recent,
)
from .views import file_response

PAGE_SIZE = 25


def _page(request: HttpRequest, queryset: QuerySet[Any], param: str = "page") -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


@staff_required
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/console.html", {"console": console_get()})


# --- Verification --------------------------------------------------------------------------------


@staff_required
def verification_list(request: AuthenticatedRequest) -> HttpResponse:
    context = {"queue": _page(request, verification_queue()), "recent": verification_recent()[:10]}
    return render(request, "staff/verification_list.html", context)


@staff_required
def verification_detail(request: AuthenticatedRequest, pk: int, reject_form: RejectForm | None = None) -> HttpResponse:
    verification = get_object_or_404(verification_for_staff(), pk=pk)
    context = {
        "verification": verification,
        "organisation": verification.organisation,
        "reject_form": reject_form or RejectForm(),
    }
    return render(request, "staff/verification_detail.html", context)


@staff_required
@require_POST
def verification_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    verification = get_object_or_404(verification_for_staff(), pk=pk)
    try:
        services.verification_approve(verification=verification, by=request.user)
    except ApplicationError as error:
        messages.error(request, error_html(error))
        return redirect("staff:verification_detail", pk=pk)
    messages.success(
        request,
        _("%(organisation)s is verified; they have been emailed.") % {"organisation": verification.organisation},
    )
    return redirect("staff:verification_list")


@staff_required
@require_POST
def verification_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    verification = get_object_or_404(verification_for_staff(), pk=pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.verification_reject(verification=verification, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(
                request,
                _("Rejected; %(organisation)s has been emailed the reason.")
                % {"organisation": verification.organisation},
            )
            return redirect("staff:verification_list")
    return verification_detail(request, pk, reject_form=form)


@staff_required
def document_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return file_response(get_object_or_404(VerificationDocument, pk=pk))


# --- Disputes ------------------------------------------------------------------------------------------


@staff_required
def dispute_list(request: AuthenticatedRequest) -> HttpResponse:
    context = {"queue": _page(request, dispute_queue()), "resolved": dispute_resolved_recent()[:10]}
    return render(request, "staff/dispute_list.html", context)


def _dispute_page(
    request: AuthenticatedRequest,
    pk: int,
    *,
    message_form: DisputeMessageForm | None = None,
    resolution_form: ResolutionForm | None = None,
) -> HttpResponse:
    dispute = get_object_or_404(dispute_for_staff(), pk=pk)
    lease = dispute.lease
    initial = {"owner_part": "", "exporter_part": ""}
    context = {
        "dispute": dispute,
        "lease": lease,
        "thread": dispute_thread(dispute=dispute),
        "held": escrow_held(lease.escrow) if getattr(lease, "escrow", None) else None,
        "ledger": lease_ledger_get(lease=lease),
        "message_form": message_form or DisputeMessageForm(),
        "resolution_form": resolution_form or ResolutionForm(initial=initial),
        "download": "staff:attachment_download",
    }
    return render(request, "staff/dispute_detail.html", context)


@staff_required
def dispute_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _dispute_page(request, pk)


@staff_required
@require_POST
def dispute_message(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(dispute_for_staff(), pk=pk)
    form = DisputeMessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.dispute_message_post(
                dispute=dispute,
                by=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["evidence"],
                as_staff=True,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, _("Posted to the thread; both sides have been emailed."))
            return redirect("staff:dispute_detail", pk=pk)
    return _dispute_page(request, pk, message_form=form)


@staff_required
@require_POST
def dispute_resolve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(dispute_for_staff(), pk=pk)
    form = ResolutionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            resolution = services.dispute_resolve(
                dispute=dispute,
                by=request.user,
                outcome=data["outcome"],
                note=data["note"],
                owner_part=data["owner_part"],
                exporter_part=data["exporter_part"],
                found_against=data["found_against"] or None,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(
                request,
                _("Resolved: %(outcome)s. Both sides are emailed.")
                % {"outcome": resolution.get_outcome_display().lower()},
            )
            return redirect("staff:dispute_detail", pk=pk)
    return _dispute_page(request, pk, resolution_form=form)


@staff_required
def attachment_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return file_response(get_object_or_404(DisputeAttachment, pk=pk))


# --- Blacklist ---------------------------------------------------------------------------------------


@staff_required
def blacklist(request: AuthenticatedRequest) -> HttpResponse:
    form = BlacklistForm(request.POST or None, initial={"organisation": request.GET.get("organisation")})
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.blacklist_add(
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                ends_at=form.ends_at(),
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(
                request,
                _("%(organisation)s is blacklisted and has been emailed.") % {"organisation": entry.organisation},
            )
            return redirect("staff:blacklist")
    in_force = blacklist_in_force().select_related("organisation", "added_by").order_by("-starts_at", "-pk")
    context = {
        "form": form,
        "entries": _page(request, in_force),
        "history": blacklist_history().exclude(pk__in=in_force.values("pk"))[:20],
        "remove_form": BlacklistRemoveForm(),
    }
    return render(request, "staff/blacklist.html", context)


@staff_required
@require_POST
def blacklist_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(BlacklistEntry.objects.select_related("organisation"), pk=pk)
    form = BlacklistRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for lifting the entry."))
        return redirect("staff:blacklist")
    try:
        services.blacklist_remove(entry=entry, by=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(
            request, _("%(organisation)s is no longer blacklisted.") % {"organisation": entry.organisation}
        )
    return redirect("staff:blacklist")


# --- Organisations and ledgers ------------------------------------------------------------------------


@staff_required
def organisation_list(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganisationSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "organisations": _page(request, organisation_search(query=query)), "query": query}
    return render(request, "staff/organisation_list.html", context)


@staff_required
def organisation_ledger(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    ledger = organisation_ledger_get(organisation=organisation)
    context = {
        "organisation": organisation,
        "ledger": ledger,
        "entries": _page(request, ledger.entries, "entries"),
        "leases": _page(request, ledger.leases, "leases"),
    }
    return render(request, "staff/organisation_ledger.html", context)


@staff_required
def lease_ledger(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lease = get_object_or_404(Lease.objects.select_related("listing__warehouse__organisation", "exporter"), pk=pk)
    disputes = dispute_for_staff().filter(lease=lease).order_by("-created_at")
    return render(
        request,
        "staff/lease_ledger.html",
        {"lease": lease, "ledger": lease_ledger_get(lease=lease), "disputes": disputes},
    )


# --- Audit log -------------------------------------------------------------------------------------------

AUDIT_FILTERS = [
    ("", gettext_lazy("Everything")),
    ("verification.", gettext_lazy("Verification")),
    ("dispute.", gettext_lazy("Disputes")),
    ("blacklist.", gettext_lazy("Blacklist")),
    ("payout.", gettext_lazy("Bank payouts")),
]


@staff_required
def audit(request: AuthenticatedRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    if action not in dict(AUDIT_FILTERS):
        action = ""
    context = {"entries": _page(request, audit_log(action=action)), "filters": AUDIT_FILTERS, "action": action}
    return render(request, "staff/audit_log.html", context)
