from typing import Any

from django.core.management.base import BaseCommand

from warehouses.ports import ports_load


class Command(BaseCommand):
    help = "Load or refresh the ports list from warehouses/data/ports.csv (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{ports_load()} ports loaded.")
