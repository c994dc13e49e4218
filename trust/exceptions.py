from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organisation
from common.exceptions import ApplicationError


class OrganisationBlacklisted(ApplicationError):
    code = "blacklisted"
    status = 403

    def __init__(self, detail: str, *, organisation: Organisation) -> None:
        super().__init__(
            detail, link=(_("See its profile"), reverse("trust:organisation_profile", args=[organisation.pk]))
        )


class VerificationInvalid(ApplicationError):
    code = "verification_invalid"


class DisputeInvalid(ApplicationError):
    """The dispute's state does not allow the step (resolved, closed thread)."""

    code = "dispute_invalid"
    status = 409


class DisputeInputInvalid(DisputeInvalid):
    """What was sent cannot be right in any state (a negative claim, an empty message): a 400."""

    status = 400


class SettlementInvalid(ApplicationError):
    """A resolution whose amounts do not fit what escrow holds. Nothing was moved."""

    code = "settlement_invalid"


class BlacklistInvalid(ApplicationError):
    code = "blacklist_invalid"


class ReviewInvalid(ApplicationError):
    code = "review_invalid"


class ReviewNotOpen(ReviewInvalid):
    """The lease's state does not take this review (not complete, or already reviewed): a 409."""

    status = 409


class EvidenceInvalid(ApplicationError):
    code = "evidence_invalid"
