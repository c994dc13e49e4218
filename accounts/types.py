"""Request types for views behind the guards in ``accounts.decorators``."""

from django.http import HttpRequest

from .models import Membership, Organisation, User


class AuthenticatedRequest(HttpRequest):
    user: User  # type: ignore[assignment]


class OrganisationRequest(AuthenticatedRequest):
    membership: Membership
    organisation: Organisation
