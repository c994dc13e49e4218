"""Trust's part of the lease page: opening a dispute from it, and what the page shows of disputes
and reviews (registered on ``leasing.hooks`` in ``TrustConfig.ready``, so leasing never imports trust)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.models import Organisation
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from leasing import rules
from leasing.choices import LeaseState
from leasing.models import Lease
from leasing.selectors import lease_detail_queryset
from leasing.views import lease_page_render, to_lease

from . import services
from .forms import EvidenceFilesField
from .selectors import dispute_latest_for, review_written


class DisputeForm(forms.Form):
    prefix = "dispute"
    reason = forms.CharField(
        label=gettext_lazy("What is wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What is wrong with the check-in, or what was damaged or lost."),
    )
    claimed_amount = forms.DecimalField(
        label=gettext_lazy("Amount you claim"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Leave empty to claim everything held in escrow."),
    )
    evidence = EvidenceFilesField(label=gettext_lazy("Evidence (photos, documents)"), required=False)


def lease_page_extras(lease: Lease, organisation: Organisation) -> dict[str, Any]:
    """The latest dispute (open or resolved), whether the viewer's side owes a review, the dispute form."""
    review_due = lease.state == LeaseState.COMPLETED and review_written(lease=lease, organisation=organisation) is None
    return {"dispute": dispute_latest_for(lease=lease), "review_due": review_due, "dispute_form": DisputeForm()}


def dispute_kind(lease: Lease) -> str:
    """The kind a dispute opened from the lease page is: damage or loss on an active lease, else the check-in."""
    return rules.DISPUTE_DAMAGE if lease.state == LeaseState.ACTIVE else rules.DISPUTE_CHECK_IN


@organisation_required
@require_POST
def lease_dispute(request: OrganisationRequest, pk: int) -> HttpResponse:
    """Either side may ask; the rules decide who may dispute what (the exporter the check-in,
    either side damage or loss on an active lease)."""
    lease = get_object_or_404(lease_detail_queryset(organisation=request.organisation), pk=pk)
    form = DisputeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            dispute = services.dispute_open(
                lease=lease,
                by=request.user,
                reason=form.cleaned_data["reason"],
                kind=dispute_kind(lease),
                claimed_amount=form.cleaned_data["claimed_amount"],
                evidence=form.cleaned_data["evidence"],
                organisation=request.organisation,
            )
        except ApplicationError as error:
            form.add_error(None, error_html(error))
        else:
            messages.success(request, _("Dispute opened. What escrow holds stays there while Wareshare reviews it."))
            return redirect("trust:dispute_detail", pk=dispute.pk) if dispute else to_lease(lease)
    return lease_page_render(request, lease, dispute_form=form)
