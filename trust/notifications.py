"""Trust emails: one template (``emails/trust_update``), a subject, a few lines, one link."""

from collections.abc import Iterable

from accounts.models import Organisation, User
from common.emails import email_send


def organisation_emails(organisations: Iterable[Organisation]) -> list[str]:
    ids = [organisation.pk for organisation in organisations]
    return list(
        User.objects.filter(memberships__organisation_id__in=ids, is_active=True)
        .values_list("email", flat=True)
        .distinct()
    )


def trust_notify(
    *, organisations: Iterable[Organisation], subject: str, lines: list[str], action: str, path: str
) -> None:
    """Email every active member of ``organisations``; sent only if the transaction commits."""
    email_send(
        to=organisation_emails(organisations),
        template="trust_update",
        context={"subject": subject, "lines": lines, "action": action, "path": path},
    )
