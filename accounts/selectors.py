from collections.abc import Iterable

from django.db.models import QuerySet

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
