"""allauth's adapter: a new account keeps the language its sign-up page was shown in."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> User:
        """Before the first save: the active language (the browser's, or the one chosen in the
        header), so the confirmation email and every later email are in it."""
        language = translation.get_language() or ""
        if not getattr(user, "language", "") and language in dict(settings.LANGUAGES):
            user.language = language
        saved: User = super().save_user(request, user, form, commit=commit)
        return saved
