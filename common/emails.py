"""Templated emails with plain-text and HTML parts, sent after the transaction commits, each
recipient in their own language and time zone.

Apps above common keep a copy of what is sent by registering a hook here (notifications, in its
``AppConfig.ready()``): common never imports them, so the arrows point one way."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models.functions import Lower
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .timezones import zone_get

LANGUAGES = {code for code, _name in settings.LANGUAGES}


class EmailSentHook(Protocol):
    def __call__(
        self, *, to: Iterable[str], kind: str, subject: str, text: str, path: str, site_url: str
    ) -> object: ...


_sent_hooks: list[EmailSentHook] = []


def email_sent_register(hook: EmailSentHook) -> None:
    """Register ``hook(to=, kind=, subject=, text=, path=, site_url=)``, called with each rendered
    message just before it is sent (``kind`` is the template name, ``to`` one language group)."""
    if hook not in _sent_hooks:
        _sent_hooks.append(hook)


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Plain-text parts are not HTML: render them without HTML escaping ("Home & Garden")."""
    return get_template(name).template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


def recipient_locales(recipients: Iterable[str], *, default_language: str) -> dict[tuple[str, str], list[str]]:
    """Group addresses by (language, time zone), read from their users in one query.

    A user who never chose a language gets ``settings.LANGUAGE_CODE``; an address without an
    account (an invitation) gets ``default_language`` (the sender's) and the default time zone."""
    addresses = sorted(set(recipients))
    users = get_user_model().objects.annotate(address=Lower("email"))
    rows = users.filter(address__in=[a.lower() for a in addresses]).values_list("address", "language", "time_zone")
    profiles = {address: (language or settings.LANGUAGE_CODE, zone) for address, language, zone in rows}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for address in addresses:
        language, zone = profiles.get(address.lower(), (default_language, settings.TIME_ZONE))
        language = language if language in LANGUAGES else settings.LANGUAGE_CODE
        groups[(language, zone or settings.TIME_ZONE)].append(address)
    return dict(sorted(groups.items()))


def email_send(*, to: Iterable[str] | Callable[[], Iterable[str]], template: str, context: dict[str, Any]) -> None:
    """Render ``emails/<template>_subject.txt``, ``.txt`` and ``.html`` and send them: one message
    per (language, time zone) of the recipients (``recipient_locales``), rendered with both active.

    Strings in ``context`` that the templates show should be lazy (``gettext_lazy``,
    ``common.i18n.lazy_format``) so they are translated for each recipient, not in the language
    of whoever triggered the email. Called inside a service's transaction, the messages are
    rendered and sent only if the transaction commits — after it, so rendering never holds the
    service's row locks.
    Every recipient with an account also finds the message in the app (notifications/, through
    ``email_sent_register``). ``to`` may be a function returning the addresses: it is called after
    the commit too, so looking them up costs the service's transaction nothing.
    """
    if not callable(to):
        addresses = sorted(set(to))
        if not addresses:
            return
    context = {"site_url": settings.SITE_URL, **context}
    default_language = translation.get_language() or settings.LANGUAGE_CODE

    def send() -> None:
        recipients = sorted(set(to())) if callable(to) else addresses
        for (language, zone_name), group in recipient_locales(recipients, default_language=default_language).items():
            with translation.override(language), timezone.override(zone_get(zone_name) or UTC):
                _send_one(group)

    def _send_one(addresses: list[str]) -> None:
        subject = " ".join(_render_plain(f"emails/{template}_subject.txt", context).split())
        text = _render_plain(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=addresses,
        )
        message.attach_alternative(html, "text/html")
        for hook in _sent_hooks:
            hook(
                to=addresses,
                kind=template,
                subject=subject,
                text=text,
                path=context.get("path", ""),
                site_url=settings.SITE_URL,
            )
        message.send()

    transaction.on_commit(send)
