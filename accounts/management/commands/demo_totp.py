"""Print the demo staff user's current TOTP code (the demo's secret is public; never in production)."""

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_STAFF_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current authenticator code for staff@wareshare.test (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo only.")
        self.stdout.write(format_hotp_value(hotp_value(DEMO_STAFF_TOTP_SECRET, int(time.time()) // 30)))
