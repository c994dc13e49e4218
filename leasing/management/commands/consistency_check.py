"""``manage.py consistency_check``: the whole database against the invariants the services keep.

Calendar = live holds, holds belong to their leases, every posting balanced, no lease half-written
(``leasing.consistency``). Prints what each check covered and every problem; exits 1 on any problem.
Run it after a restore (docs/deploy.md), a crash or a fault drill, next to ``escrow_reconcile``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from leasing.consistency import CHECKS, consistency_check


class Command(BaseCommand):
    help = "Check calendar, holds, ledger and leases for consistency; exit 1 on any problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", action="append", choices=sorted(CHECKS), default=[], help="run only this check (repeatable)"
        )

    def handle(self, *args: Any, only: list[str], **options: Any) -> None:
        # Every check sees one snapshot, even while others write (PostgreSQL; not when called inside a transaction).
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():  # reads only
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            report = consistency_check(only=tuple(only))
        for name, covered in report.checked.items():
            found = sum(1 for problem in report.problems if problem.check == name)
            self.stdout.write(f"{name}: {covered}: {'ok' if not found else f'{found} problem(s)'}")
        for problem in report.problems:
            self.stdout.write(str(problem))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} consistency problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS("consistent"))
