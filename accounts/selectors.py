from collections.abc import Iterable

from django.db.models import QuerySet

from .choices import Role
from .models import Membership, Organisation, User


def membership_list(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def member_emails(organisations: Iterable[Organisation]) -> list[str]:
    """The addresses of every active member of ``organisations`` (one query, no repeats)."""
    ids = [organisation.pk for organisation in organisations]
    return list(
        User.objects.filter(memberships__organisation_id__in=ids, is_active=True)
        .values_list("email", flat=True)
        .distinct()
    )


def user_is_member(user: User, organisation: Organisation, *, admin: bool = False) -> bool:
    """Whether ``user`` belongs to ``organisation`` (as an admin, with ``admin=True``)."""
    memberships = user.memberships.filter(organisation=organisation)
    if admin:
        memberships = memberships.filter(role=Role.ADMIN)
    return memberships.exists()
