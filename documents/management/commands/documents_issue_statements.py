"""Issue the monthly payout statements missing for months that are over (the sweep does it too)."""

from typing import Any

from django.core.management.base import BaseCommand

from documents.services import statements_issue_due


class Command(BaseCommand):
    help = "Issue every missing monthly payout statement for a month that is over (up to a year back)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{statements_issue_due()} statement(s) issued")
