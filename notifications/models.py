from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """What one person was told: every email the product sends to a user is also kept here,
    so it can be read in the app, with the link it points to and whether it was opened."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50, help_text="The email template it was sent with.")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    path = models.CharField(max_length=500, blank=True, help_text="Where to act on it, inside the site.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_latest"),
            models.Index(fields=["user"], condition=Q(read_at=None), name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
