"""Who may call what. Objects are then looked up through ``request.organisation`` in each view,
so another organisation's object is a 404, as on the pages."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from .models import ApiKey


class IsOrganisationMember(permissions.BasePermission):
    """Signed in (API key or session) for an organisation; writes need a key with the write scope."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with WWW-Authenticate: Api-Key
        if getattr(request, "organisation", None) is None:
            raise exceptions.PermissionDenied(
                _("Create an organisation, or accept an invitation, to use the API."), code="no_organisation"
            )
        key = request.auth
        if request.method not in permissions.SAFE_METHODS and isinstance(key, ApiKey) and not key.can_write:
            raise exceptions.PermissionDenied(_("This API key is read-only."), code="read_only_key")
        return True


class PublicReadOrMember(IsOrganisationMember):
    """Anyone may read (search, public listings); writes as for IsOrganisationMember."""

    public_read = True

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
