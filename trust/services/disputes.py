"""Opening a dispute and its thread of messages and evidence files.

Disputes build on the lease core: they lock listing → lease → escrow with
``leasing.core.lease_lock``, then the dispute row, and change the lease only through
``leasing.core.lease_transition``. What escrow holds stays there until staff resolve
(``trust.services.resolution``)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from common.i18n import lazy_format, lazy_lower
from common.money import format_money, quantize
from escrow import ledger
from leasing import rules
from leasing import services as leasing_services
from leasing.choices import LeaseState
from leasing.exceptions import InvalidTransition
from leasing.models import Lease

from ..choices import Author, DisputeKind, Side
from ..exceptions import DisputeInputInvalid, DisputeInvalid
from ..hooks import dispute_changed
from ..messages import MESSAGES
from ..models import Dispute, DisputeAttachment, DisputeMessage
from ..notifications import trust_notify
from .audit import audit_record
from .shared import CheckedFile, files_check, lease_side, staff_require

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = LeaseState


def dispute_notify(
    dispute: Dispute, *, subject: "StrOrPromise", lines: Sequence["StrOrPromise"], skip: str | None = None
) -> None:
    """Email both sides of ``dispute``'s lease (but not ``skip``, a side) with a link to the thread."""
    lease = dispute.lease
    organisations = [org for side, org in ((Side.EXPORTER, lease.exporter), (Side.OWNER, lease.owner)) if side != skip]
    texts = MESSAGES["dispute"]
    trust_notify(
        organisations=organisations,
        subject=lazy_format(texts["subject"], subject=subject, lease=lease.pk),
        lines=lines,
        action=texts["action"],
        path=reverse("trust:dispute_detail", args=[dispute.pk]),
    )


def dispute_kind_default(lease: Lease) -> str:
    """What a dispute opened without a kind is about, as the lease page offers it: damage or
    loss on an active lease, otherwise the check-in."""
    return DisputeKind.DAMAGE_OR_LOSS if lease.state == S.ACTIVE else DisputeKind.CHECK_IN


def _attach(message: DisputeMessage, files: list[CheckedFile]) -> None:
    for item in files:
        DisputeAttachment.objects.create(
            message=message, file=item.file, original_name=item.name, content_type=item.content_type, size=item.size
        )


def _check_can_open(lease: Lease, side: str, kind: str) -> None:
    """Whether ``side`` may open a dispute of ``kind`` now is ``leasing.rules.dispute``'s to say."""
    if kind not in (DisputeKind.CHECK_IN, DisputeKind.DAMAGE_OR_LOSS):
        raise DisputeInputInvalid(_("Say what the dispute is about: the check-in, or damage or loss."))
    rules.dispute(lease, side, kind).require()


def _claim(claimed: Decimal | None, held: Decimal, currency: str) -> Decimal:
    if claimed is None:
        return held
    if claimed < 0:
        raise DisputeInputInvalid(_("The claimed amount cannot be negative."))
    if quantize(claimed, currency) != claimed:
        raise DisputeInputInvalid(
            _("%(amount)s has more decimals than %(currency)s allows.") % {"amount": claimed, "currency": currency}
        )
    if held > 0 and claimed > held:
        raise DisputeInvalid(  # what escrow holds now: a conflict with the lease's state, not bad input
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
    ``organisation``: the side ``by`` acts for (a page's current organisation, an API key's).
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
        dispute_changed.send(sender=Dispute, dispute=dispute, from_state=None, to_state=dispute.state, by=by)
        opener = lease.exporter if side == Side.EXPORTER else lease.owner
        texts = MESSAGES["dispute_opened"]
        dispute_notify(
            dispute,
            subject=lazy_format(texts["subject"], organisation=opener),
            lines=[
                lazy_format(
                    texts["about"],
                    kind=lazy_lower(DisputeKind(kind).label),
                    amount=format_money(claimed, lease.currency),
                ),
                f"“{reason}”",
                lazy_format(texts["held"], amount=format_money(held, lease.currency))
                if held
                else texts["nothing_held"],
                texts["evidence"],
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
        staff_require(by)
        role: str = Author.STAFF
    else:
        role = lease_side(lease=dispute.lease, by=by, organisation=organisation)
    body = body.strip()
    checked = files_check(files)
    if not body and not checked:
        raise DisputeInputInvalid(_("Write a message or attach a file."))
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
        leasing_services.lease_note(
            lease, by=by, note=f"Dispute #{dispute.pk}: message from {AUTHOR_NAMES[role]}{attached}"
        )
        texts = MESSAGES["dispute_message"]
        author = Author(role).label
        dispute_notify(
            dispute,
            subject=texts["subject_staff"] if role == Author.STAFF else texts["subject"],
            lines=[
                lazy_format(
                    texts["author_files"],
                    author=author,
                    files=lazy_format(texts["files"], count=len(checked)),
                )
                if checked
                else lazy_format(texts["author"], author=author),
                body or texts["files_only"],
            ],
            skip=None if role == Author.STAFF else role,
        )
    return message
