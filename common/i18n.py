"""Text that is written now and read later, in the reader's language.

An email is rendered once per recipient language (``common.emails.email_send``), so the subject
and lines a service passes must not be translated when the service runs, in the language of
whoever triggered it. ``lazy_format`` keeps the message and its values and interpolates when the
text is rendered: ``lazy_format(_("%(org)s is verified"), org=organisation)``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone
from django.utils.functional import Promise, lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _interpolate(message: StrOrPromise, params: dict[str, Any]) -> str:
    values = {key: str(value) if isinstance(value, Promise) else value for key, value in params.items()}
    # ``message % values``, not ``str(message) % values``: an ``ngettext_lazy(..., "count")`` picks its
    # plural from the values.
    return str(message % values) if values else str(message)


_lazy_interpolate = lazy(_interpolate, str)


def lazy_format(message: StrOrPromise, /, **params: Any) -> str:
    """``message % params``, evaluated each time the text is rendered, in the active language.
    ``message`` is a ``gettext_lazy``/``ngettext_lazy`` string; lazy values are rendered too."""
    return _lazy_interpolate(message, params)


def _lower(text: StrOrPromise) -> str:
    return str(text).lower()


lazy_lower = lazy(_lower, str)
"""``lazy_lower(Outcome.REFUND.label)``: a lazy label lower-cased when rendered ("full refund…")."""


def _date(value: date | datetime) -> str:
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


lazy_date = lazy(_date, str)
"""``lazy_date(entry.ends_at)``: the date in the reader's format, and for a datetime in their zone."""
