from functools import cache
from typing import Any, cast

from django.http import HttpRequest

from accounts.models import User

from .selectors import notification_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the header: counted once per page, and only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": cache(lambda: notification_unread_count(user=cast(User, user)))}
