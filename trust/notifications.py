"""Trust emails: one template (``emails/trust_update``), a subject, a few lines, one link."""

from collections.abc import Iterable

from accounts.models import Organisation
from accounts.selectors import member_emails
from common.emails import email_send


def trust_notify(
    *, organisations: Iterable[Organisation], subject: str, lines: list[str], action: str, path: str
) -> None:
    """Email every active member of ``organisations``; sent only if the transaction commits."""
    email_send(
        to=member_emails(organisations),
        template="trust_update",
        context={"subject": subject, "lines": lines, "action": action, "path": path},
    )
