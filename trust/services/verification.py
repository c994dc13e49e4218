"""Organisation verification (KYC): an organisation admin submits its details and documents,
staff approve or reject with a reason. Money never moves for an unverified organisation."""

from collections.abc import Sequence

from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import VerificationStatus
from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from common.exceptions import PermissionDenied
from common.i18n import lazy_format

from .. import rating
from ..choices import VerificationRequestStatus
from ..exceptions import VerificationInvalid
from ..messages import MESSAGES
from ..models import VerificationDocument, VerificationRequest
from ..notifications import trust_notify
from .audit import audit_record, audit_snapshot
from .shared import files_check, staff_require

ORGANISATION_FIELDS = (
    "verification_status",
    "verified_at",
    "legal_name",
    "registration_number",
    "vat_number",
    "country",
)


@transaction.atomic
def verification_submit(
    *,
    organisation: Organisation,
    by: User,
    legal_name: str,
    registration_number: str,
    country: str,
    address: str,
    documents: Sequence[File],
    vat_number: str = "",
) -> VerificationRequest:
    """An organisation admin submits the details and documents; the organisation is ``pending``
    until staff decide. Refused while verified or already pending. Emails the organisation."""
    if not user_is_member(by, organisation, admin=True):
        raise PermissionDenied(
            _("Only an admin of %(organisation)s can submit it for verification.") % {"organisation": organisation}
        )
    checked = files_check(documents)
    if not checked:
        raise VerificationInvalid(_("Attach at least one document, such as the company registration extract."))
    fields = {_("legal name"): legal_name, _("registration number"): registration_number, _("address"): address}
    missing = [label for label, value in fields.items() if not value.strip()]
    if missing or not country:
        raise VerificationInvalid(_("Give the %(fields)s.") % {"fields": ", ".join(missing or [_("country")])})
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.verification_status == VerificationStatus.VERIFIED:
        raise VerificationInvalid(_("%(organisation)s is already verified.") % {"organisation": locked})
    if locked.verification_status == VerificationStatus.PENDING:
        raise VerificationInvalid(_("%(organisation)s is already waiting for review.") % {"organisation": locked})
    request = VerificationRequest.objects.create(
        organisation=locked,
        submitted_by=by,
        legal_name=legal_name.strip(),
        registration_number=registration_number.strip(),
        vat_number=vat_number.strip(),
        country=country,
        address=address.strip(),
    )
    for item in checked:
        VerificationDocument.objects.create(
            request=request, file=item.file, original_name=item.name, content_type=item.content_type, size=item.size
        )
    locked.verification_status = organisation.verification_status = VerificationStatus.PENDING
    locked.save(update_fields=["verification_status"])
    texts = MESSAGES["verification_submitted"]
    trust_notify(
        organisations=[locked],
        subject=lazy_format(texts["subject"], organisation=locked),
        lines=[
            lazy_format(
                texts["documents"],
                legal_name=request.legal_name,
                number=request.registration_number,
                count=len(checked),
            ),
            texts["meanwhile"],
        ],
        action=texts["action"],
        path=reverse("trust:verification"),
    )
    return request


def _lock_pending(verification: VerificationRequest) -> tuple[VerificationRequest, Organisation]:
    organisation = Organisation.objects.select_for_update().get(pk=verification.organisation_id)
    verification = VerificationRequest.objects.select_for_update().get(pk=verification.pk)
    if verification.status != VerificationRequestStatus.PENDING:
        raise VerificationInvalid(_("This request was already decided."))
    return verification, organisation


@transaction.atomic
def verification_approve(*, verification: VerificationRequest, by: User) -> VerificationRequest:
    """Staff approve: the submitted details become the organisation's and it is verified."""
    staff_require(by)
    verification, organisation = _lock_pending(verification)
    before = audit_snapshot(organisation, ORGANISATION_FIELDS)
    organisation.legal_name = verification.legal_name
    organisation.registration_number = verification.registration_number
    organisation.vat_number = verification.vat_number
    organisation.country = verification.country
    organisation.verification_status = VerificationStatus.VERIFIED
    organisation.verified_at = timezone.now()
    organisation.save(update_fields=list(ORGANISATION_FIELDS))
    verification.status = VerificationRequestStatus.APPROVED
    verification.decided_by = by
    verification.decided_at = organisation.verified_at
    verification.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        action="verification.approve",
        obj=organisation,
        before=before,
        after=audit_snapshot(organisation, ORGANISATION_FIELDS),
    )
    texts = MESSAGES["verification_approved"]
    trust_notify(
        organisations=[organisation],
        subject=lazy_format(texts["subject"], organisation=organisation),
        lines=[texts["effect"]],
        action=texts["action"],
        path=reverse("dashboard"),
    )
    rating.ratings_recompute_later([organisation])
    return verification


@transaction.atomic
def verification_reject(*, verification: VerificationRequest, by: User, reason: str) -> VerificationRequest:
    """Staff reject with a reason the organisation reads; it may correct and submit again."""
    staff_require(by)
    if not reason.strip():
        raise VerificationInvalid(_("Give the reason: the organisation reads it and can correct its details."))
    verification, organisation = _lock_pending(verification)
    before = audit_snapshot(organisation, ORGANISATION_FIELDS)
    organisation.verification_status = VerificationStatus.REJECTED
    organisation.save(update_fields=["verification_status"])
    verification.status = VerificationRequestStatus.REJECTED
    verification.decided_by = by
    verification.decided_at = timezone.now()
    verification.rejection_reason = reason.strip()[:500]
    verification.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    audit_record(
        actor=by,
        action="verification.reject",
        obj=organisation,
        before=before,
        after={**audit_snapshot(organisation, ORGANISATION_FIELDS), "reason": verification.rejection_reason},
    )
    texts = MESSAGES["verification_rejected"]
    trust_notify(
        organisations=[organisation],
        subject=lazy_format(texts["subject"], organisation=organisation),
        lines=[lazy_format(texts["reason"], reason=verification.rejection_reason), texts["next"]],
        action=texts["action"],
        path=reverse("trust:verification"),
    )
    rating.ratings_recompute_later([organisation])
    return verification
