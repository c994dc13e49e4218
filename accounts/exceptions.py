from common.exceptions import ApplicationError


class InvitationInvalid(ApplicationError):
    code = "invitation_invalid"


class NotAMember(ApplicationError):
    code = "not_a_member"
    status = 404


class AlreadyAMember(ApplicationError):
    code = "already_a_member"


class OrganisationNotVerified(ApplicationError):
    code = "organisation_not_verified"
    status = 403
