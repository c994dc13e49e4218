"""Reads: a person's notifications and how many are unread."""

from django.db.models import QuerySet

from accounts.models import User

from .models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()
