"""Which organisation the signed-in user is acting for.

The choice is kept in the session; it is always checked against the user's memberships,
so a stale or forged id can never select another organisation. The middleware attaches
``request.membership`` and ``request.organisation`` lazily: a request that never asks pays
no query.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.functional import cached_property

from common.timezones import zone_get

from .models import Membership, Organisation

SESSION_KEY = "organisation_id"


class _Current:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def membership(self) -> Membership | None:
        request = self.request
        if not request.user.is_authenticated:
            return None
        memberships = Membership.objects.filter(user=request.user).select_related("organisation")
        chosen = request.session.get(SESSION_KEY)
        found = memberships.filter(organisation_id=chosen).first() if chosen else None
        return found or memberships.order_by("created_at").first()


class CurrentOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current = _Current(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def current_membership(request: HttpRequest) -> Membership | None:
    current = getattr(request, "current", None)
    return current.membership if current else None


def current_organisation(request: HttpRequest) -> Organisation | None:
    membership = current_membership(request)
    return membership.organisation if membership else None


class UserLocaleMiddleware:
    """A signed-in user's saved language and time zone win over the browser's guess.

    Runs after ``LocaleMiddleware`` (which has activated the language from the cookie or
    ``Accept-Language``) and after authentication. Visitors, and users who never chose a
    language, keep the browser's; the time zone is the user's own (``UTC`` by default), so
    ``{{ some_datetime }}`` and ``{% zoned %}`` show the viewer's local time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        zone = None
        if user.is_authenticated:
            language = getattr(user, "language", "")
            if language in self.languages:
                translation.activate(language)
                request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
            zone = zone_get(getattr(user, "time_zone", ""))
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
