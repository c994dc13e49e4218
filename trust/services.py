"""Every write in trust: verification, the blacklist, disputes and their settlement, reviews, and
the audit log that every staff action writes in the same transaction.

Disputes build on the lease services: they lock listing → lease → escrow with
``leasing.services.lease_lock``, then the dispute row, and change the lease only through
``lease_transition``. Money moves through the escrow services: ledger postings inside the
transaction, processor calls (refund, transfer) dispatched after commit, each with its
idempotency key (``escrow:<id>:dispute:<dispute id>:refund``, ``escrow:<id>:release:<n>``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

from accounts.choices import Role, VerificationStatus
from accounts.models import Organisation, User
from common.exceptions import PermissionDenied
from common.i18n import lazy_date, lazy_format, lazy_lower
from common.money import exponent, format_money, quantize
from common.tasks import task_dispatch
from escrow import ledger
from escrow import services as escrow_services
from escrow import tasks as escrow_tasks
from leasing import schedule as lease_schedule
from leasing import services as leasing_services
from leasing.choices import LeaseState
from leasing.exceptions import InvalidTransition, NotAllowed
from leasing.models import Lease, LeaseEvent

from . import rating
from .choices import (
    Author,
    DisputeKind,
    DisputeState,
    FoundAgainst,
    Outcome,
    Side,
    VerificationRequestStatus,
)
from .exceptions import (
    BlacklistInvalid,
    DisputeInvalid,
    EvidenceInvalid,
    OrganisationBlacklisted,
    ReviewInvalid,
    SettlementInvalid,
    VerificationInvalid,
)
from .models import (
    AuditLogEntry,
    BlacklistEntry,
    Dispute,
    DisputeAttachment,
    DisputeMessage,
    Resolution,
    Review,
    VerificationDocument,
    VerificationRequest,
)
from .notifications import trust_notify
from .selectors import blacklist_entry_in_force
from .validators import FILE_VALIDATORS, MAX_FILES, content_type

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = LeaseState


# --- Shared checks ----------------------------------------------------------------------------


def _require_staff(by: User) -> None:
    if not by.is_staff:
        raise PermissionDenied(_("Only Wareshare staff can do this."))


def _member(by: User, organisation: Organisation, *, admin: bool = False) -> bool:
    memberships = by.memberships.filter(organisation=organisation)
    return (memberships.filter(role=Role.ADMIN) if admin else memberships).exists()


def lease_side(*, lease: Lease, by: User, organisation: Organisation | None = None) -> str:
    """Which side of ``lease`` ``by`` acts for: ``organisation`` if given (it must be a party and
    ``by`` a member), else the exporter if ``by`` belongs to it, else the owner. Raises NotAllowed."""
    owner = lease.owner
    candidates = [organisation] if organisation is not None else [lease.exporter, owner]
    for candidate in candidates:
        if candidate.pk == lease.exporter_id and _member(by, candidate):
            return Side.EXPORTER
        if candidate.pk == owner.pk and _member(by, candidate):
            return Side.OWNER
    raise NotAllowed(_("Only the exporter or the warehouse owner of this lease can do this."))


# What a blacklisted organisation cannot do: the ``action`` the lease services pass, translated here.
BLOCKED_ACTIONS = (
    gettext_noop("request a lease"),
    gettext_noop("take bookings"),
    gettext_noop("extend a lease"),
    gettext_noop("accept a lease"),
    gettext_noop("pay into escrow"),
    gettext_noop("take a lease transfer"),
    gettext_noop("transfer a lease"),
    gettext_noop("approve a lease transfer"),
)


def organisation_require_in_good_standing(organisation: Organisation, action: str) -> None:
    """Refuse ``action`` ("request a lease", "accept a lease", ...) for a blacklisted
    organisation: raises OrganisationBlacklisted (code ``blacklisted``). An entry past its end
    date no longer blocks, whether or not the expiry sweep has recorded it yet."""
    entry = blacklist_entry_in_force(organisation=organisation)
    if entry is not None:
        values = {"organisation": organisation, "action": _(action)}
        if entry.ends_at:
            values["date"] = formats.date_format(timezone.localtime(entry.ends_at), "DATE_FORMAT")
            detail = _("%(organisation)s is on Wareshare's blacklist until %(date)s and cannot %(action)s.") % values
        else:
            detail = _("%(organisation)s is on Wareshare's blacklist and cannot %(action)s.") % values
        raise OrganisationBlacklisted(detail, organisation=organisation)


@dataclass(frozen=True)
class CheckedFile:
    file: File
    name: str
    content_type: str
    size: int


def files_check(files: Sequence[File]) -> list[CheckedFile]:
    """Validate uploads (type by content, size, count) before anything is written."""
    if len(files) > MAX_FILES:
        raise EvidenceInvalid(_("Attach at most %(count)s files at a time.") % {"count": MAX_FILES})
    checked = []
    for file in files:
        name = Path(file.name or "file").name[:200]
        try:
            for validator in FILE_VALIDATORS:
                validator(file)
            kind = content_type(file)
        except ValidationError as error:
            raise EvidenceInvalid(f"{name}: {' '.join(error.messages)}") from error
        checked.append(CheckedFile(file=file, name=name, content_type=kind, size=file.size or 0))
    return checked


# --- Audit log ----------------------------------------------------------------------------------


def _snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        data[name] = value if isinstance(value, str | int | bool | Decimal | datetime | None) else str(value)
    return data


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit entry (call inside the transaction of the action it records)."""
    return AuditLogEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


# --- Verification (KYC) -------------------------------------------------------------------------

ORGANISATION_FIELDS = ("verification_status", "verified_at", "legal_name", "registration_number", "country")


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
) -> VerificationRequest:
    """An organisation admin submits the details and documents; the organisation is ``pending``
    until staff decide. Refused while verified or already pending. Emails the organisation."""
    if not _member(by, organisation, admin=True):
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
        country=country,
        address=address.strip(),
    )
    for item in checked:
        VerificationDocument.objects.create(
            request=request, file=item.file, original_name=item.name, content_type=item.content_type, size=item.size
        )
    locked.verification_status = organisation.verification_status = VerificationStatus.PENDING
    locked.save(update_fields=["verification_status"])
    trust_notify(
        organisations=[locked],
        subject=lazy_format(gettext_lazy("We received %(organisation)s's verification request"), organisation=locked),
        lines=[
            lazy_format(
                ngettext_lazy(
                    "Wareshare staff will check %(legal_name)s (%(number)s) and %(count)s document, "
                    "usually within one working day.",
                    "Wareshare staff will check %(legal_name)s (%(number)s) and %(count)s documents, "
                    "usually within one working day.",
                    len(checked),
                ),
                legal_name=request.legal_name,
                number=request.registration_number,
                count=len(checked),
            ),
            gettext_lazy(
                "You can browse and draft listings meanwhile; requesting, accepting and paying open once verified."
            ),
        ],
        action=gettext_lazy("See your verification"),
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
    _require_staff(by)
    verification, organisation = _lock_pending(verification)
    before = _snapshot(organisation, ORGANISATION_FIELDS)
    organisation.legal_name = verification.legal_name
    organisation.registration_number = verification.registration_number
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
        after=_snapshot(organisation, ORGANISATION_FIELDS),
    )
    trust_notify(
        organisations=[organisation],
        subject=lazy_format(gettext_lazy("%(organisation)s is verified"), organisation=organisation),
        lines=[
            gettext_lazy(
                "Wareshare checked your details and documents. You can now request, accept and pay for leases."
            )
        ],
        action=gettext_lazy("Open Wareshare"),
        path=reverse("dashboard"),
    )
    rating.ratings_recompute_later([organisation])
    return verification


@transaction.atomic
def verification_reject(*, verification: VerificationRequest, by: User, reason: str) -> VerificationRequest:
    """Staff reject with a reason the organisation reads; it may correct and submit again."""
    _require_staff(by)
    if not reason.strip():
        raise VerificationInvalid(_("Give the reason: the organisation reads it and can correct its details."))
    verification, organisation = _lock_pending(verification)
    before = _snapshot(organisation, ORGANISATION_FIELDS)
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
        after={**_snapshot(organisation, ORGANISATION_FIELDS), "reason": verification.rejection_reason},
    )
    trust_notify(
        organisations=[organisation],
        subject=lazy_format(gettext_lazy("%(organisation)s could not be verified yet"), organisation=organisation),
        lines=[
            lazy_format(gettext_lazy("Reason: %(reason)s"), reason=verification.rejection_reason),
            gettext_lazy("Correct the details or documents and submit again."),
        ],
        action=gettext_lazy("Submit again"),
        path=reverse("trust:verification"),
    )
    rating.ratings_recompute_later([organisation])
    return verification


# --- Blacklist -------------------------------------------------------------------------------------

BLACKLIST_FIELDS = ("organisation_id", "reason", "starts_at", "ends_at", "lifted_at", "lift_reason")


@transaction.atomic
def blacklist_add(
    *, organisation: Organisation, by: User, reason: str, ends_at: datetime | None = None
) -> BlacklistEntry:
    """Staff blacklist an organisation, optionally until ``ends_at``. While in force it cannot
    request, accept, pay for or take over a lease, and its listings leave search."""
    _require_staff(by)
    if not reason.strip():
        raise BlacklistInvalid(_("Give the reason: it is recorded and sent to the organisation."))
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise BlacklistInvalid(_("The end date must be in the future."))
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    current = BlacklistEntry.objects.select_for_update().filter(organisation=locked, lifted_at__isnull=True).first()
    if current is not None and current.in_force:
        raise BlacklistInvalid(_("%(organisation)s is already blacklisted.") % {"organisation": locked})
    if current is not None:  # ended, but the expiry sweep has not recorded it yet
        _blacklist_lift(current, by=None, reason="Expired", at=current.ends_at or now)
    entry = BlacklistEntry.objects.create(
        organisation=locked, reason=reason.strip(), starts_at=now, ends_at=ends_at, added_by=by
    )
    audit_record(actor=by, action="blacklist.add", obj=entry, after=_snapshot(entry, BLACKLIST_FIELDS))
    if ends_at:
        effect = lazy_format(
            gettext_lazy(
                "From now until %(date)s, %(organisation)s cannot request, accept, pay for or take over leases, "
                "and its listings do not appear in search. Leases already paid continue."
            ),
            date=lazy_date(ends_at),
            organisation=locked,
        )
    else:
        effect = lazy_format(
            gettext_lazy(
                "From now until further notice, %(organisation)s cannot request, accept, pay for or take over "
                "leases, and its listings do not appear in search. Leases already paid continue."
            ),
            organisation=locked,
        )
    trust_notify(
        organisations=[locked],
        subject=lazy_format(gettext_lazy("%(organisation)s has been blacklisted"), organisation=locked),
        lines=[
            lazy_format(gettext_lazy("Reason: %(reason)s"), reason=entry.reason),
            effect,
            gettext_lazy("Reply to this email to contest the decision."),
        ],
        action=gettext_lazy("See your profile"),
        path=reverse("trust:organisation_profile", args=[locked.pk]),
    )
    rating.ratings_recompute_later([locked])
    return entry


def _blacklist_lift(entry: BlacklistEntry, *, by: User | None, reason: str, at: datetime) -> BlacklistEntry:
    before = _snapshot(entry, BLACKLIST_FIELDS)
    entry.lifted_at = at
    entry.lifted_by = by
    entry.lift_reason = reason[:300]
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    action = "blacklist.remove" if by else "blacklist.expire"
    audit_record(actor=by, action=action, obj=entry, before=before, after=_snapshot(entry, BLACKLIST_FIELDS))
    trust_notify(
        organisations=[entry.organisation],
        subject=lazy_format(gettext_lazy("%(organisation)s is no longer blacklisted"), organisation=entry.organisation),
        lines=[gettext_lazy("You can request, accept and pay for leases again, and your listings are back in search.")],
        action=gettext_lazy("Open Wareshare"),
        path=reverse("dashboard"),
    )
    rating.ratings_recompute_later([entry.organisation])
    return entry


@transaction.atomic
def blacklist_remove(*, entry: BlacklistEntry, by: User, reason: str) -> BlacklistEntry:
    """Staff lift an entry early, with a reason (logged)."""
    _require_staff(by)
    if not reason.strip():
        raise BlacklistInvalid(_("Give the reason for lifting the entry."))
    Organisation.objects.select_for_update().filter(pk=entry.organisation_id).first()
    entry = BlacklistEntry.objects.select_for_update().select_related("organisation").get(pk=entry.pk)
    if entry.lifted_at is not None:
        raise BlacklistInvalid(_("This entry was already lifted."))
    return _blacklist_lift(entry, by=by, reason=reason.strip(), at=timezone.now())


def blacklist_expire_due() -> int:
    """Sweep: record entries whose end date has passed (they stopped blocking at ``ends_at``);
    each expiry is audit-logged and emailed once. Idempotent."""
    now = timezone.now()
    handled = 0
    due = BlacklistEntry.objects.filter(lifted_at__isnull=True, ends_at__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            entry = BlacklistEntry.objects.select_for_update().select_related("organisation").get(pk=pk)
            if entry.lifted_at is not None or entry.ends_at is None or entry.ends_at > now:
                continue
            _blacklist_lift(entry, by=None, reason="Expired", at=entry.ends_at)
            handled += 1
    return handled


# --- Disputes -------------------------------------------------------------------------------------


def _dispute_notify(
    dispute: Dispute, *, subject: "StrOrPromise", lines: Sequence["StrOrPromise"], skip: str | None = None
) -> None:
    lease = dispute.lease
    organisations = [org for side, org in ((Side.EXPORTER, lease.exporter), (Side.OWNER, lease.owner)) if side != skip]
    trust_notify(
        organisations=organisations,
        subject=lazy_format(gettext_lazy("%(subject)s — lease #%(lease)s"), subject=subject, lease=lease.pk),
        lines=lines,
        action=gettext_lazy("Open the dispute"),
        path=reverse("trust:dispute_detail", args=[dispute.pk]),
    )


def _attach(message: DisputeMessage, files: list[CheckedFile]) -> None:
    for item in files:
        DisputeAttachment.objects.create(
            message=message, file=item.file, original_name=item.name, content_type=item.content_type, size=item.size
        )


def _check_can_open(lease: Lease, side: str, kind: str) -> None:
    state = {"state": str(S(lease.state).label).lower()}
    if kind == DisputeKind.CHECK_IN:
        if side != Side.EXPORTER:
            raise NotAllowed(_("Only the exporter can dispute the check-in."))
        if lease.state != S.CHECKED_IN:
            raise InvalidTransition(_("A lease that is %(state)s has no check-in left to dispute.") % state)
        if not leasing_services.lease_dispute_open(lease):
            raise InvalidTransition(_("The confirmation window has closed."), code="window_closed")
    elif kind == DisputeKind.DAMAGE_OR_LOSS:
        if lease.state != S.ACTIVE:
            raise InvalidTransition(_("Damage or loss is reported on an active lease; this one is %(state)s.") % state)
    else:
        raise DisputeInvalid(_("Say what the dispute is about: the check-in, or damage or loss."))


def _claim(claimed: Decimal | None, held: Decimal, currency: str) -> Decimal:
    if claimed is None:
        return held
    if claimed < 0:
        raise DisputeInvalid(_("The claimed amount cannot be negative."))
    if quantize(claimed, currency) != claimed:
        raise DisputeInvalid(
            _("%(amount)s has more decimals than %(currency)s allows.") % {"amount": claimed, "currency": currency}
        )
    if held > 0 and claimed > held:
        raise DisputeInvalid(
            _("Escrow holds %(amount)s for this lease: claim at most that.") % {"amount": format_money(held, currency)}
        )
    return claimed


def dispute_open(
    *,
    lease: Lease,
    by: User,
    reason: str,
    kind: str = DisputeKind.CHECK_IN,
    claimed_amount: Decimal | None = None,
    evidence: Sequence[File] = (),
    organisation: Organisation | None = None,
) -> Dispute:
    """Open a dispute: the lease becomes ``disputed`` and what escrow holds stays there.

    ``kind`` check_in: the exporter, while the lease is checked in and the window is open.
    ``kind`` damage_or_loss: either side, on an active lease. If nothing is held any more (the
    escrow was released), staff can still decide who was at fault (it counts in the ratings)
    but no money moves. ``claimed_amount`` defaults to everything held and cannot exceed it.
    The reason and ``evidence`` files become the thread's first message. Emails both sides.
    """
    side = lease_side(lease=lease, by=by, organisation=organisation)
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("Say what is wrong."), code="reason_required")
    files = files_check(evidence)
    with transaction.atomic():
        locked = leasing_services.lease_lock(lease)
        lease = locked.lease
        _check_can_open(lease, side, kind)
        held = ledger.escrow_held(locked.escrow) if locked.escrow else Decimal(0)
        claimed = _claim(claimed_amount, held, lease.currency)
        leasing_services.lease_transition(
            lease=lease, to=S.DISPUTED, by=by, note=f"Dispute opened: {reason}", notify=False
        )
        dispute = Dispute.objects.create(
            lease=lease,
            kind=kind,
            opened_by=by,
            opened_by_side=side,
            reason=reason,
            claimed_amount=claimed,
            currency=lease.currency,
            held_at_open=held,
        )
        message = DisputeMessage.objects.create(dispute=dispute, author=by, author_role=side, body=reason)
        _attach(message, files)
        opener = lease.exporter if side == Side.EXPORTER else lease.owner
        _dispute_notify(
            dispute,
            subject=lazy_format(gettext_lazy("%(organisation)s opened a dispute"), organisation=opener),
            lines=[
                lazy_format(
                    gettext_lazy("About: %(kind)s. Claimed: %(amount)s."),
                    kind=lazy_lower(DisputeKind(kind).label),
                    amount=format_money(claimed, lease.currency),
                ),
                f"“{reason}”",
                lazy_format(
                    gettext_lazy("Escrow holds %(amount)s; it stays there until Wareshare decides."),
                    amount=format_money(held, lease.currency),
                )
                if held
                else gettext_lazy(
                    "Nothing is held in escrow any more: Wareshare will record a finding, which counts in "
                    "both ratings, but cannot move money."
                ),
                gettext_lazy("Add your evidence (messages, photos, documents) to the thread."),
            ],
        )
    return dispute


AUTHOR_NAMES: dict[str, str] = {
    Author.OWNER: "the owner",
    Author.EXPORTER: "the exporter",
    Author.STAFF: "Wareshare staff",
}


def dispute_message_post(
    *,
    dispute: Dispute,
    by: User,
    body: str,
    files: Sequence[File] = (),
    as_staff: bool = False,
    organisation: Organisation | None = None,
) -> DisputeMessage:
    """Add a message (and evidence files) to an open dispute's thread, as a party or as staff.
    Emails the other side (both sides for a staff message); staff messages are audit-logged."""
    if as_staff:
        _require_staff(by)
        role: str = Author.STAFF
    else:
        role = lease_side(lease=dispute.lease, by=by, organisation=organisation)
    body = body.strip()
    checked = files_check(files)
    if not body and not checked:
        raise DisputeInvalid(_("Write a message or attach a file."))
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update()
            .select_related("lease__exporter", "lease__listing__warehouse__organisation")
            .get(pk=dispute.pk)
        )
        if not dispute.is_open:
            raise DisputeInvalid(_("This dispute is resolved; its thread is closed."))
        message = DisputeMessage.objects.create(dispute=dispute, author=by, author_role=role, body=body)
        _attach(message, checked)
        if role == Author.STAFF:
            audit_record(
                actor=by,
                action="dispute.message",
                obj=dispute,
                after={"message": message.pk, "body": body[:500], "files": [item.name for item in checked]},
            )
        attached = f" ({len(checked)} file{'s' if len(checked) != 1 else ''} attached)" if checked else ""
        lease = dispute.lease
        LeaseEvent.objects.create(
            lease=lease,
            actor=by,
            from_state=lease.state,
            to_state=lease.state,
            note=f"Dispute #{dispute.pk}: message from {AUTHOR_NAMES[role]}{attached}",
        )
        _dispute_notify(
            dispute,
            subject=gettext_lazy("Wareshare wrote in your dispute")
            if role == Author.STAFF
            else gettext_lazy("New evidence in a dispute"),
            lines=[
                lazy_format(
                    gettext_lazy("%(author)s (%(files)s):"),
                    author=Author(role).label,
                    files=lazy_format(
                        ngettext_lazy("%(count)s file attached", "%(count)s files attached", len(checked)),
                        count=len(checked),
                    ),
                )
                if checked
                else lazy_format(gettext_lazy("%(author)s:"), author=Author(role).label),
                body or gettext_lazy("(files only)"),
            ],
            skip=None if role == Author.STAFF else role,
        )
    return message


# --- Resolution ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """What a resolution moves. ``owner_part + exporter_part == held``; the owner is paid
    ``owner_part - platform_fee``; the fee stays with the platform as revenue."""

    outcome: str
    currency: str
    held: Decimal
    owner_part: Decimal
    exporter_part: Decimal
    platform_fee: Decimal
    found_against: str
    lease_to: str

    @property
    def owner_net(self) -> Decimal:
        return self.owner_part - self.platform_fee

    def summary(self) -> str:
        def money(amount: Decimal) -> str:
            return format_money(amount, self.currency)

        # Lazy: the summary goes into both sides' emails, each rendered in its reader's language.
        if self.outcome == Outcome.FINDING:
            return lazy_format(
                gettext_lazy("finding against %(side)s; no money held"),
                side=lazy_lower(FoundAgainst(self.found_against).label),
            )
        parts = []
        if self.exporter_part:
            parts.append(
                lazy_format(gettext_lazy("%(amount)s refunded to the exporter"), amount=money(self.exporter_part))
            )
        if self.owner_part and self.platform_fee:
            parts.append(
                lazy_format(
                    gettext_lazy("%(amount)s released to the owner (after the %(fee)s platform fee)"),
                    amount=money(self.owner_net),
                    fee=money(self.platform_fee),
                )
            )
        elif self.owner_part:
            parts.append(lazy_format(gettext_lazy("%(amount)s released to the owner"), amount=money(self.owner_net)))
        if len(parts) == 2:
            return lazy_format(gettext_lazy("%(refund)s; %(release)s"), refund=parts[0], release=parts[1])
        return parts[0] if parts else ""


def fee_share(*, owner_part: Decimal, lease: Lease) -> Decimal:
    """The platform fee on ``owner_part`` of the held money: the lease's own fee ratio
    (fee / total), rounded *down* to the currency's minor unit, so the owner never loses to
    rounding and is always paid something for a non-zero part. The whole total gives exactly the
    lease's fee; money refunded to the exporter carries no fee."""
    step = Decimal(1).scaleb(-exponent(lease.currency))
    if owner_part <= 0 or lease.total <= 0:
        return Decimal(0).quantize(step)
    with localcontext() as context:
        context.prec = 60
        share = owner_part * lease.platform_fee / lease.total
    return share.quantize(step, rounding=ROUND_DOWN)


def _found_against_default(outcome: str, dispute: Dispute, owner_part: Decimal, exporter_part: Decimal) -> str:
    """Refund: the owner; release: the exporter; split: the claimant if it got less than half of
    its claim, otherwise the other side (a claim of nothing: neither)."""
    if outcome == Outcome.REFUND:
        return FoundAgainst.OWNER
    if outcome == Outcome.RELEASE:
        return FoundAgainst.EXPORTER
    claimant = dispute.opened_by_side
    got = exporter_part if claimant == Side.EXPORTER else owner_part
    if dispute.claimed_amount <= 0:
        return FoundAgainst.NEITHER
    lost = got * 2 < dispute.claimed_amount
    other = FoundAgainst.OWNER if claimant == Side.EXPORTER else FoundAgainst.EXPORTER
    return claimant if lost else other


def settlement_plan(
    *,
    dispute: Dispute,
    lease: Lease,
    held: Decimal,
    outcome: str,
    owner_part: Decimal | None = None,
    exporter_part: Decimal | None = None,
    found_against: str | None = None,
) -> Settlement:
    """Work out (without writing) what a resolution moves; raises SettlementInvalid with a message
    staff can act on. Refund and release take everything held; a split's two parts must add up
    exactly to ``held``; a finding is only for a dispute where nothing is held."""
    currency = lease.currency
    zero = Decimal(0).quantize(Decimal(1).scaleb(-exponent(currency)))
    if found_against is not None and found_against not in FoundAgainst.values:
        raise SettlementInvalid(_("Say whom the decision goes against: the owner, the exporter, or neither."))
    if outcome == Outcome.FINDING:
        if held > 0:
            raise SettlementInvalid(
                _("Escrow still holds %(amount)s: decide a refund, a release or a split.")
                % {"amount": format_money(held, currency)}
            )
        if not found_against:
            raise SettlementInvalid(_("Say whom the finding goes against: the owner, the exporter, or neither."))
        return Settlement(outcome, currency, held, zero, zero, zero, found_against, S.ACTIVE)
    if outcome not in (Outcome.REFUND, Outcome.RELEASE, Outcome.SPLIT):
        raise SettlementInvalid(_("Choose a refund, a release, a split or a finding."))
    if held <= 0:
        raise SettlementInvalid(_("Nothing is held in escrow for this lease any more: record a finding instead."))
    if outcome == Outcome.REFUND:
        owner, exporter = zero, held
    elif outcome == Outcome.RELEASE:
        owner, exporter = held, zero
    else:
        if owner_part is None or exporter_part is None:
            raise SettlementInvalid(_("Give both parts of the split: to the owner and to the exporter."))
        owner, exporter = Decimal(owner_part), Decimal(exporter_part)
        for label, part in ((_("The owner's part"), owner), (_("The exporter's part"), exporter)):
            if part < 0:
                raise SettlementInvalid(_("%(part)s cannot be negative.") % {"part": label})
            if quantize(part, currency) != part:
                raise SettlementInvalid(
                    _("%(part)s %(amount)s has more decimals than %(currency)s allows.")
                    % {"part": label, "amount": part, "currency": currency}
                )
        if owner + exporter != held:
            raise SettlementInvalid(
                _(
                    "The parts add up to %(total)s, but escrow holds %(held)s: they must add up exactly. "
                    "Nothing was moved."
                )
                % {"total": format_money(owner + exporter, currency), "held": format_money(held, currency)}
            )
    return Settlement(
        outcome=outcome,
        currency=currency,
        held=held,
        owner_part=owner,
        exporter_part=exporter,
        platform_fee=fee_share(owner_part=owner, lease=lease),
        found_against=found_against or _found_against_default(outcome, dispute, owner, exporter),
        lease_to=S.CANCELLED if outcome == Outcome.REFUND else S.ACTIVE,
    )


def dispute_resolve(
    *,
    dispute: Dispute,
    by: User,
    outcome: str,
    note: str,
    owner_part: Decimal | None = None,
    exporter_part: Decimal | None = None,
    found_against: str | None = None,
) -> Resolution:
    """Staff decide an open dispute (see ``settlement_plan``).

    Locks listing → lease → escrow → dispute; posts the refund and/or the release to the ledger,
    moves the lease on (a full refund cancels it and frees its capacity; otherwise it continues,
    ``active``), records the resolution, audit-logs and emails both sides. The processor refund and
    transfer run after commit. Amounts that do not fit raise SettlementInvalid and nothing moves.
    """
    _require_staff(by)
    note = note.strip()
    if not note:
        raise DisputeInvalid(_("Explain the decision: both sides read it."))
    with transaction.atomic():
        locked = leasing_services.lease_lock(dispute.lease)
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        lease, escrow = locked.lease, locked.escrow
        if not dispute.is_open:
            raise DisputeInvalid(_("This dispute is already resolved."))
        if lease.state != S.DISPUTED:
            raise InvalidTransition(
                _("Lease #%(lease)s is %(state)s, not disputed.")
                % {"lease": lease.pk, "state": str(S(lease.state).label).lower()}
            )
        held = ledger.escrow_held(escrow) if escrow else Decimal(0)
        plan = settlement_plan(
            dispute=dispute,
            lease=lease,
            held=held,
            outcome=outcome,
            owner_part=owner_part,
            exporter_part=exporter_part,
            found_against=found_against,
        )
        refund = payout = None
        if plan.exporter_part > 0:
            assert escrow is not None
            refund = escrow_services.escrow_refund(
                escrow=escrow,
                exporter=lease.exporter,
                amount=plan.exporter_part,
                reason=f"dispute #{dispute.pk}: {Outcome(plan.outcome).label.lower()}",
                key=f"escrow:{escrow.pk}:dispute:{dispute.pk}:refund",
            )
        if plan.owner_part > 0:
            assert escrow is not None
            payout = escrow_services.escrow_release(
                escrow=escrow,
                owner=lease.owner,
                owner_amount=plan.owner_net,
                platform_fee=plan.platform_fee,
                sequence=lease_schedule.release_sequence_next(escrow),
            )
        if plan.exporter_part > 0 or plan.owner_part > 0:
            lease_schedule.instalments_close(lease)  # everything escrow held is settled now
        summary = plan.summary()
        leasing_services.lease_transition(
            lease=lease, to=plan.lease_to, by=by, note=f"Dispute #{dispute.pk} resolved: {summary}", notify=False
        )
        resolution = Resolution.objects.create(
            dispute=dispute,
            outcome=plan.outcome,
            currency=plan.currency,
            held=plan.held,
            owner_part=plan.owner_part,
            exporter_part=plan.exporter_part,
            platform_fee=plan.platform_fee,
            found_against=plan.found_against,
            lease_state_after=plan.lease_to,
            note=note,
            decided_by=by,
            payout=payout,
            refund=refund,
        )
        dispute.state = DisputeState.RESOLVED
        dispute.resolved_at = timezone.now()
        dispute.save(update_fields=["state", "resolved_at"])
        audit_record(
            actor=by,
            action="dispute.resolve",
            obj=dispute,
            before={"state": DisputeState.OPEN, "lease_state": S.DISPUTED, "held": held},
            after={
                "state": DisputeState.RESOLVED,
                "lease_state": plan.lease_to,
                "outcome": plan.outcome,
                "owner_part": plan.owner_part,
                "exporter_part": plan.exporter_part,
                "platform_fee": plan.platform_fee,
                "found_against": plan.found_against,
                "note": note[:500],
            },
        )
        _dispute_notify(
            dispute,
            subject=gettext_lazy("Wareshare resolved the dispute"),
            lines=[
                lazy_format(
                    gettext_lazy("Decision: %(outcome)s — %(summary)s."),
                    outcome=Outcome(plan.outcome).label,
                    summary=summary,
                ),
                lazy_format(gettext_lazy("Why: %(note)s"), note=note),
                gettext_lazy("The lease continues.")
                if plan.lease_to == S.ACTIVE
                else gettext_lazy("The lease is cancelled."),
            ],
        )
        rating.ratings_recompute_later([lease.exporter, lease.owner])
        if refund is not None:
            task_dispatch(escrow_tasks.refund_execute, refund.pk)
        if payout is not None:
            task_dispatch(escrow_tasks.payout_execute, payout.pk)
    return resolution


# --- Reviews -----------------------------------------------------------------------------------------


def review_create(
    *, lease: Lease, by: User, rating_value: int, text: str, organisation: Organisation | None = None
) -> Review:
    """After completion each side reviews the other once (1–5 and text); feeds the rating."""
    side = lease_side(lease=lease, by=by, organisation=organisation)
    if lease.state != S.COMPLETED:
        raise ReviewInvalid(_("Reviews open once the lease is complete."))
    if not 1 <= rating_value <= 5:
        raise ReviewInvalid(_("Rate from 1 to 5 stars."))
    text = text.strip()
    if not text:
        raise ReviewInvalid(_("Write a few words: what went well, what did not."))
    author, subject = (lease.exporter, lease.owner) if side == Side.EXPORTER else (lease.owner, lease.exporter)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                lease=lease,
                author=by,
                author_organisation=author,
                subject_organisation=subject,
                rating=rating_value,
                text=text[:2000],
            )
            trust_notify(
                organisations=[subject],
                subject=lazy_format(gettext_lazy("%(organisation)s reviewed you"), organisation=author),
                lines=[
                    lazy_format(
                        gettext_lazy("%(stars)s for lease #%(lease)s"),
                        stars=f"{'★' * rating_value}{'☆' * (5 - rating_value)}",
                        lease=lease.pk,
                    ),
                    f"“{review.text}”",
                ],
                action=gettext_lazy("See your profile"),
                path=reverse("trust:organisation_profile", args=[subject.pk]),
            )
            rating.ratings_recompute_later([subject])
    except IntegrityError as error:
        raise ReviewInvalid(
            _("%(organisation)s has already reviewed this lease.") % {"organisation": author}
        ) from error
    return review
