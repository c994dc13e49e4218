from django.urls import reverse
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError


class InvitationInvalid(ApplicationError):
    code = "invitation_invalid"


class NotAMember(ApplicationError):
    code = "not_a_member"
    status = 404


class AlreadyAMember(ApplicationError):
    code = "already_a_member"


class PreferencesInvalid(ApplicationError):
    code = "preferences_invalid"


class OrganisationNotVerified(ApplicationError):
    """Raised for the organisation that is acting, so the link goes to its own verification page."""

    code = "organisation_not_verified"
    status = 403

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, link=(_("Verify your organisation"), reverse("trust:verification")))
