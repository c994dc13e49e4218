"""Trust emails: one template (``emails/trust_update``), a subject, a few lines, one link.

Pass the texts lazily (``gettext_lazy``, ``common.i18n.lazy_format``): each recipient's copy is
rendered in their own language."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from accounts.models import Organisation
from accounts.selectors import member_emails
from common.emails import email_send

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def trust_notify(
    *,
    organisations: Iterable[Organisation],
    subject: StrOrPromise,
    lines: Sequence[StrOrPromise],
    action: StrOrPromise,
    path: str,
) -> None:
    """Email every active member of ``organisations``; sent only if the transaction commits."""
    email_send(
        to=member_emails(organisations),
        template="trust_update",
        context={"subject": subject, "lines": lines, "action": action, "path": path},
    )
