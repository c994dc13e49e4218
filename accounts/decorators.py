"""View guards. Each resolves the current organisation once and puts it on the request."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .middleware import current_membership

View = Callable[..., HttpResponse]


def organisation_required(
    view: View | None = None, *, owner: bool = False, exporter: bool = False, admin: bool = False
) -> Any:
    """Require a signed-in member of an organisation (optionally one that owns/exports, or an admin).

    Sets ``request.membership`` and ``request.organisation``. A user without an organisation is
    sent to create one; an organisation of the wrong kind gets a 404, as if the page did not exist.
    """

    def decorator(func: View) -> View:
        @login_required
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            if membership is None:
                messages.info(request, _("Create an organisation, or accept an invitation, to continue."))
                return redirect("accounts:organisation_create")
            organisation = membership.organisation
            if (owner and not organisation.is_owner) or (exporter and not organisation.is_exporter):
                raise Http404("This page is not available for your organisation.")
            if admin and not membership.is_admin:
                raise Http404("Only organisation admins can open this page.")
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = organisation  # type: ignore[attr-defined]
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def staff_required(func: View) -> View:
    """Staff only, and only with MFA switched on: staff without it are sent to set it up."""

    @login_required
    @wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        if not is_mfa_enabled(request.user):
            messages.warning(
                request, _("Staff must use two-factor authentication. Set up an authenticator app to continue.")
            )
            return redirect("mfa_activate_totp")
        return func(request, *args, **kwargs)

    return wrapper
