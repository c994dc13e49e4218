"""Writes: keep a copy of a sent email for its recipients, mark notifications read."""

from collections.abc import Iterable

from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User

from .models import Notification

SIGN_OFF = "— Wareshare"


def _summary(text: str, *, subject: str, site_url: str) -> str:
    """The plain-text part without what the page shows anyway: a first line repeating the
    subject, the absolute links (the page links itself) and the sign-off."""
    lines = [line for line in text.strip().splitlines() if site_url not in line and line.strip() != SIGN_OFF]
    if lines and lines[0].strip() and subject.startswith(lines[0].strip()):
        lines = lines[1:]
    return "\n".join(lines).strip()


def notifications_from_email(
    *, to: Iterable[str], kind: str, subject: str, text: str, path: str, site_url: str
) -> list[Notification]:
    """One notification per active user among the addresses ``to`` (matched case-insensitively).

    Addresses without an account (an invitation to someone new) get none: they read the email.
    """
    addresses = {address.lower() for address in to}
    users = User.objects.annotate(address=Lower("email")).filter(address__in=addresses, is_active=True)
    body = _summary(text, subject=subject, site_url=site_url)
    return Notification.objects.bulk_create(
        Notification(user=user, kind=kind, subject=subject, body=body, path=path) for user in users
    )


def notifications_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark one of ``user``'s notifications (or all of them) read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())
