from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError

from . import services
from .decorators import organisation_required
from .forms import InvitationForm, OrganisationForm
from .middleware import SESSION_KEY
from .models import Invitation
from .selectors import membership_list
from .types import AuthenticatedRequest, OrganisationRequest


@login_required
def organisation_create(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(user=request.user, **form.cleaned_data)
        request.session[SESSION_KEY] = organisation.pk
        messages.success(request, f"{organisation} is ready. Next: verify it so money can move.")
        return redirect("dashboard")
    return render(request, "accounts/organisation_form.html", {"form": form})


@login_required
@require_POST
def organisation_switch(request: AuthenticatedRequest) -> HttpResponse:
    membership = get_object_or_404(membership_list(user=request.user), organisation_id=request.POST.get("organisation"))
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, f"You are now working as {membership.organisation}.")
    return redirect("dashboard")


@organisation_required
def members(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_admin:
            messages.error(request, "Only organisation admins can invite members.")
            return redirect("accounts:members")
        if form.is_valid():
            try:
                services.invitation_create(organisation=organisation, invited_by=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error("email", error.detail)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("accounts:members")
    context = {
        "form": form,
        "memberships": organisation.memberships.select_related("user").order_by("user__email"),
        "invitations": organisation.invitations.filter(accepted_at=None, revoked_at=None),
    }
    return render(request, "accounts/members.html", context)


@organisation_required(admin=True)
@require_POST
def invitation_revoke(request: OrganisationRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, organisation=request.organisation)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("accounts:members")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    if not request.user.is_authenticated:
        messages.info(request, f"Sign up or sign in as {invitation.email} to join {invitation.organisation}.")
        return redirect(f"{reverse('account_signup')}?next={request.path}")
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.detail)
        else:
            request.session[SESSION_KEY] = membership.organisation_id
            messages.success(request, f"Welcome to {membership.organisation}.")
            return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
