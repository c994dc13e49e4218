"""Authentication: ``Authorization: Api-Key <key>`` for machines, the session for the browser.

An API key acts as its organisation. Services take a ``by`` user and check that user's membership,
so the key acts as the member who created it: their name is on every step the key takes, and a key
stops working the day its creator leaves the organisation (or is deactivated).
"""

from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.middleware import current_membership
from accounts.models import Membership, Organisation

from .keys import key_matches, key_prefix
from .models import ApiKey

KEYWORD = "Api-Key"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _space, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        prefix = key_prefix(key.strip())
        api_key = None
        if prefix:
            creator_is_member = Exists(
                Membership.objects.filter(
                    user_id=OuterRef("created_by_id"), organisation_id=OuterRef("organisation_id")
                )
            )
            api_key = (
                ApiKey.objects.select_related("organisation", "created_by")
                .filter(prefix=prefix, revoked_at=None, created_by__is_active=True)
                .filter(creator_is_member)
                .first()
            )
        if api_key is None or not key_matches(key.strip(), api_key.hashed_key):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."), code="invalid_api_key")
        now = timezone.now()
        if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        return api_key.created_by, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def request_organisation(request: Request) -> Organisation | None:
    """The organisation a request acts for: the key's, or the session's current one."""
    if isinstance(request.auth, ApiKey):
        return request.auth.organisation
    if request.user and request.user.is_authenticated:
        membership = current_membership(request._request)
        return membership.organisation if membership else None
    return None
