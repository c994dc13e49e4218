"""``manage.py escrow_reconcile``: the ledger against the payment processor, lease by lease.

Prints every difference and exits 1 if there is any (0 when everything agrees, 2 when the
processor could not be asked). docs/operations.md says what to do with each kind of difference.
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escrow.exceptions import GatewayUnavailable
from escrow.gateways import gateway_name
from escrow.reconcile import escrow_reconcile, escrows_to_reconcile, ledger_check


class Command(BaseCommand):
    help = "Compare the escrow ledger with the payment processor per lease; exit 1 on any difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lease", type=int, action="append", default=[], help="only this lease (repeatable)")
        parser.add_argument("--since-days", type=int, default=None, help="only leases with money moved this recently")

    def handle(self, *args: Any, lease: list[int], since_days: int | None, **options: Any) -> None:
        since = timedelta(days=since_days) if since_days is not None else None
        differences = ledger_check()
        escrows = escrows_to_reconcile(lease_ids=lease, since=since)
        for escrow in escrows:
            try:
                differences += escrow_reconcile(escrow=escrow)
            except GatewayUnavailable as error:
                raise CommandError(f"lease {escrow.lease_id}: {error.detail}", returncode=2) from error
        for difference in differences:
            self.stdout.write(str(difference))
        summary = f"{len(escrows)} lease(s) reconciled against the {gateway_name()} gateway"
        if differences:
            raise CommandError(f"{summary}: {len(differences)} difference(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{summary}: no differences"))
