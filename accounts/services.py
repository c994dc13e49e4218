"""Every write to users' preferences, organisations, memberships and invitations."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.emails import email_send
from common.timezones import zone_get

from .choices import Role
from .exceptions import AlreadyAMember, InvitationInvalid, PreferencesInvalid
from .models import Invitation, Membership, Organisation, User


def user_preferences_set(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    """Save the user's language ("" follows the browser) and/or time zone (an IANA name).
    Raises PreferencesInvalid for a language the site does not offer or an unknown zone."""
    fields = []
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise PreferencesInvalid(_("Choose one of the languages offered."))
        user.language = language
        fields.append("language")
    if time_zone is not None:
        if zone_get(time_zone) is None:
            raise PreferencesInvalid(_("Unknown time zone “%(zone)s”.") % {"zone": time_zone})
        user.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def organisation_create(*, user: User, name: str, is_owner: bool, is_exporter: bool, country: str = "") -> Organisation:
    """Create an organisation with ``user`` as its first admin."""
    organisation = Organisation.objects.create(name=name, is_owner=is_owner, is_exporter=is_exporter, country=country)
    Membership.objects.create(user=user, organisation=organisation, role=Role.ADMIN)
    return organisation


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, invited_by: User) -> Invitation:
    """Invite ``email`` to join; emails the invitation link after commit.

    Raises AlreadyAMember if a member already has that address; an older open
    invitation to the same address is revoked and replaced.
    """
    email = email.strip().lower()
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise AlreadyAMember(
            _("%(email)s is already a member of %(organisation)s.") % {"email": email, "organisation": organisation}
        )
    Invitation.objects.filter(organisation=organisation, email=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=invited_by)
    email_send(
        to=[email],
        template="invitation",
        context={
            "invitation": invitation,
            "path": reverse("accounts:invitation_accept", args=[invitation.token]),
        },
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the inviting organisation. The invitation must be open and addressed to ``user``."""
    invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
    if invitation is None or not invitation.is_open:
        raise InvitationInvalid(_("This invitation has expired, was revoked or was already used."))
    if invitation.email.lower() != user.email.lower():
        raise InvitationInvalid(
            _("This invitation is for %(invited)s; you are signed in as %(email)s.")
            % {"invited": invitation.email, "email": user.email}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(revoked_at=timezone.now())
