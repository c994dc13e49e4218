"""Templated emails with plain-text and HTML parts, sent after the transaction commits."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Plain-text parts are not HTML: render them without HTML escaping ("Home & Garden")."""
    return get_template(name).template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


def email_send(*, to: Iterable[str], template: str, context: dict[str, Any]) -> None:
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` and send one message.

    Called inside a service's transaction, the message is rendered and sent only if the
    transaction commits — after it, so rendering never holds the service's row locks.
    """
    recipients = sorted(set(to))
    if not recipients:
        return
    context = {"site_url": settings.SITE_URL, **context}

    def send() -> None:
        subject = " ".join(_render_plain(f"emails/{template}_subject.txt", context).split())
        text = _render_plain(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        )
        message.attach_alternative(html, "text/html")
        message.send()

    transaction.on_commit(send)
