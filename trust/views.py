"""Trust pages for organisations: verification, the public profile, dispute threads, reviews.
Thin: objects are found through the current organisation (anything else is a 404), one service
or selector per request, ApplicationError becomes a form error (with its link, if any)."""

from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.choices import VerificationStatus
from accounts.decorators import organisation_required
from accounts.models import Organisation
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from escrow.ledger import escrow_held
from leasing.choices import LeaseState
from leasing.selectors import lease_visible_to

from . import services
from .forms import DisputeMessageForm, ReviewForm, VerificationForm
from .models import PrivateFile, VerificationDocument
from .selectors import (
    attachment_visible_to,
    dispute_thread,
    dispute_visible_to,
    organisation_profile_get,
    review_written,
    verification_latest,
)

REVIEWS_PER_PAGE = 10


def file_response(item: PrivateFile) -> HttpResponse:
    """A private file for someone allowed to see it: images inline, anything else downloaded;
    sandboxed and never cached by shared caches."""
    response = FileResponse(
        item.file.open("rb"),  # type: ignore[attr-defined]
        content_type=item.content_type,
        as_attachment=not item.is_image,
        filename=item.original_name,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)  # a streaming response, typed as the views' HttpResponse


# --- Verification ----------------------------------------------------------------------------------


@organisation_required
def verification(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    latest = verification_latest(organisation=organisation)
    can_submit = request.membership.is_admin and organisation.verification_status in (
        VerificationStatus.UNVERIFIED,
        VerificationStatus.REJECTED,
    )
    source = latest or organisation
    initial = {
        "legal_name": source.legal_name or organisation.name,
        "registration_number": source.registration_number,
        "vat_number": source.vat_number,
        "country": source.country,
        "address": getattr(latest, "address", ""),
    }
    form = VerificationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if not can_submit:
            messages.error(request, _("There is nothing to submit: ask an admin of your organisation."))
            return redirect("trust:verification")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.verification_submit(
                    organisation=organisation,
                    by=request.user,
                    legal_name=data["legal_name"],
                    registration_number=data["registration_number"],
                    vat_number=data["vat_number"],
                    country=data["country"],
                    address=data["address"],
                    documents=data["documents"],
                )
            except ApplicationError as error:
                form.add_error(None, error_html(error))
            else:
                messages.success(request, _("Submitted. Wareshare staff will review it and email you the decision."))
                return redirect("trust:verification")
    context = {"organisation": organisation, "latest": latest, "form": form, "can_submit": can_submit}
    return render(request, "trust/verification.html", context)


@organisation_required
def document_download(request: OrganisationRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(VerificationDocument, pk=pk, request__organisation=request.organisation)
    return file_response(document)


# --- Public profile ----------------------------------------------------------------------------------


def organisation_profile(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    profile = organisation_profile_get(organisation=organisation)
    reviews = Paginator(profile.reviews, REVIEWS_PER_PAGE).get_page(request.GET.get("reviews"))
    return render(request, "trust/profile.html", {"profile": profile, "organisation": organisation, "reviews": reviews})


# --- Disputes ----------------------------------------------------------------------------------------


@organisation_required
def dispute_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The thread, for both sides; posting a message (with evidence) is a POST to the same page."""
    dispute = get_object_or_404(dispute_visible_to(organisation=request.organisation), pk=pk)
    form = DisputeMessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispute_message_post(
                dispute=dispute,
                by=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["evidence"],
                organisation=request.organisation,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, _("Added to the thread. The other side and Wareshare staff can see it."))
            return redirect("trust:dispute_detail", pk=dispute.pk)
    lease = dispute.lease
    escrow = getattr(lease, "escrow", None)
    context = {
        "dispute": dispute,
        "lease": lease,
        "thread": dispute_thread(dispute=dispute),
        "held": escrow_held(escrow) if escrow else None,
        "side": "exporter" if lease.exporter_id == request.organisation.pk else "owner",
        "form": form,
        "download": "trust:attachment_download",
    }
    return render(request, "trust/dispute_detail.html", context)


@organisation_required
def attachment_download(request: OrganisationRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(attachment_visible_to(organisation=request.organisation), pk=pk)
    return file_response(attachment)


# --- Reviews ---------------------------------------------------------------------------------------------


@organisation_required
def review_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    lease = get_object_or_404(
        lease_visible_to(organisation=request.organisation).select_related(
            "listing__warehouse__organisation", "exporter"
        ),
        pk=pk,
    )
    if lease.state != LeaseState.COMPLETED or review_written(lease=lease, organisation=request.organisation):
        messages.info(request, _("Reviews open once a lease is complete, and each side reviews once."))
        return redirect("leasing:lease_detail", pk=lease.pk)
    other = lease.owner if lease.exporter_id == request.organisation.pk else lease.exporter
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_create(
                lease=lease,
                by=request.user,
                rating_value=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
                organisation=request.organisation,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(
                request, _("Thank you. Your review of %(organisation)s is on its profile.") % {"organisation": other}
            )
            return redirect("leasing:lease_detail", pk=lease.pk)
    return render(request, "trust/review_form.html", {"lease": lease, "other": other, "form": form})
