from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "In-app notifications"

    def ready(self) -> None:
        # Every templated email (common.emails) leaves a copy in the app for recipients with an account.
        from common.emails import email_sent_register

        from .services import notifications_from_email

        email_sent_register(notifications_from_email)
