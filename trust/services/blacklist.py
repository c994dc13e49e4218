"""The blacklist and an organisation's standing: staff add an organisation with a reason and an
optional end date; while in force it cannot request, accept, pay for or take over a lease.

Leasing does not import trust: ``TrustConfig.ready()`` registers
``organisation_require_in_good_standing`` with ``leasing.hooks.standing_check_register``."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, User
from common.i18n import lazy_date, lazy_format

from .. import rating
from ..exceptions import BlacklistInvalid, OrganisationBlacklisted
from ..messages import MESSAGES
from ..models import BlacklistEntry
from ..notifications import trust_notify
from ..selectors import blacklist_in_force
from .audit import audit_record, audit_snapshot
from .shared import staff_require

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

BLACKLIST_FIELDS = ("organisation_id", "reason", "starts_at", "ends_at", "lifted_at", "lift_reason")


def organisation_require_in_good_standing(organisation: Organisation, action: str) -> None:
    """Refuse ``action`` ("request a lease", "accept a lease", ...) for a blacklisted
    organisation: raises OrganisationBlacklisted (code ``blacklisted``). An entry past its end
    date no longer blocks, whether or not the expiry sweep has recorded it yet."""
    organisations_require_in_good_standing([(organisation, action)])


def organisations_require_in_good_standing(pairs: Sequence[tuple[Organisation, str]]) -> None:
    """``organisation_require_in_good_standing`` for each ``(organisation, action)`` in order,
    in one query: the first blacklisted organisation's refusal is raised."""
    entries = {
        entry.organisation_id: entry
        for entry in blacklist_in_force().filter(organisation__in=[organisation.pk for organisation, _a in pairs])
    }
    for organisation, action in pairs:
        entry = entries.get(organisation.pk)
        if entry is None:
            continue
        values = {"organisation": organisation, "action": _(action)}
        if entry.ends_at:
            values["date"] = formats.date_format(timezone.localtime(entry.ends_at), "DATE_FORMAT")
            detail = _("%(organisation)s is on Wareshare's blacklist until %(date)s and cannot %(action)s.") % values
        else:
            detail = _("%(organisation)s is on Wareshare's blacklist and cannot %(action)s.") % values
        raise OrganisationBlacklisted(detail, organisation=organisation)


@transaction.atomic
def blacklist_add(
    *, organisation: Organisation, by: User, reason: str, ends_at: datetime | None = None
) -> BlacklistEntry:
    """Staff blacklist an organisation, optionally until ``ends_at``. While in force it cannot
    request, accept, pay for or take over a lease, and its listings leave search."""
    staff_require(by)
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
    audit_record(actor=by, action="blacklist.add", obj=entry, after=audit_snapshot(entry, BLACKLIST_FIELDS))
    texts = MESSAGES["blacklist_added"]
    if ends_at:
        effect = lazy_format(texts["effect_until"], date=lazy_date(ends_at), organisation=locked)
    else:
        effect = lazy_format(texts["effect"], organisation=locked)
    trust_notify(
        organisations=[locked],
        subject=lazy_format(texts["subject"], organisation=locked),
        lines=[lazy_format(texts["reason"], reason=entry.reason), effect, texts["contest"]],
        action=texts["action"],
        path=reverse("trust:organisation_profile", args=[locked.pk]),
    )
    rating.ratings_recompute_later([locked])
    return entry


def _blacklist_lift(entry: BlacklistEntry, *, by: User | None, reason: str, at: datetime) -> BlacklistEntry:
    before = audit_snapshot(entry, BLACKLIST_FIELDS)
    entry.lifted_at = at
    entry.lifted_by = by
    entry.lift_reason = reason[:300]
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    action = "blacklist.remove" if by else "blacklist.expire"
    audit_record(actor=by, action=action, obj=entry, before=before, after=audit_snapshot(entry, BLACKLIST_FIELDS))
    texts = MESSAGES["blacklist_lifted"]
    trust_notify(
        organisations=[entry.organisation],
        subject=lazy_format(texts["subject"], organisation=entry.organisation),
        lines=[texts["effect"]],
        action=texts["action"],
        path=reverse("dashboard"),
    )
    rating.ratings_recompute_later([entry.organisation])
    return entry


@transaction.atomic
def blacklist_remove(*, entry: BlacklistEntry, by: User, reason: str) -> BlacklistEntry:
    """Staff lift an entry early, with a reason (logged)."""
    staff_require(by)
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
