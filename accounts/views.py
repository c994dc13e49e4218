from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from common.exceptions import ApplicationError

from . import services
from .decorators import organisation_required
from .forms import InvitationForm, OrganisationForm, PreferencesForm
from .middleware import SESSION_KEY
from .models import Invitation
from .selectors import membership_list
from .types import AuthenticatedRequest, OrganisationRequest


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's ``set_language`` (the language cookie, then back
    to ``next``), and for a signed-in user the choice is also saved on their profile, so it
    follows them to other browsers and into their emails."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_preferences_set(user=request.user, language=language)  # type: ignore[arg-type]
    return set_language(request)


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's language and time zone."""
    user = request.user
    form = PreferencesForm(request.POST or None, initial={"language": user.language, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_preferences_set(user=user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            language = user.language or translation.get_language_from_request(request)
            translation.activate(language)
            messages.success(request, _("Your language and time zone are saved."))
            response = redirect("preferences")
            if user.language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                )
            else:  # "the same as my browser": forget an earlier choice made in the header
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def organisation_create(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(user=request.user, **form.cleaned_data)
        request.session[SESSION_KEY] = organisation.pk
        messages.success(
            request, _("%(organisation)s is ready. Next: verify it so money can move.") % {"organisation": organisation}
        )
        return redirect("dashboard")
    return render(request, "accounts/organisation_form.html", {"form": form})


@login_required
@require_POST
def organisation_switch(request: AuthenticatedRequest) -> HttpResponse:
    membership = get_object_or_404(membership_list(user=request.user), organisation_id=request.POST.get("organisation"))
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, _("You are now working as %(organisation)s.") % {"organisation": membership.organisation})
    return redirect("dashboard")


@organisation_required
def members(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_admin:
            messages.error(request, _("Only organisation admins can invite members."))
            return redirect("accounts:members")
        if form.is_valid():
            try:
                services.invitation_create(organisation=organisation, invited_by=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error("email", error.detail)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
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
    messages.success(request, _("Invitation for %(email)s revoked.") % {"email": invitation.email})
    return redirect("accounts:members")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("Sign up or sign in as %(email)s to join %(organisation)s.")
            % {"email": invitation.email, "organisation": invitation.organisation},
        )
        return redirect(f"{reverse('account_signup')}?next={request.path}")
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.detail)
        else:
            request.session[SESSION_KEY] = membership.organisation_id
            messages.success(request, _("Welcome to %(organisation)s.") % {"organisation": membership.organisation})
            return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
