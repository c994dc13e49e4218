import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.sweeps import sweeps_run


class Command(BaseCommand):
    help = "Run every time-driven sweep once, or forever with --loop (the embedded background runner)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass per interval")
        parser.add_argument("--interval", type=int, default=60, help="seconds between passes")

    def handle(self, *args: Any, loop: bool, interval: int, **options: Any) -> None:
        while True:
            for path, count in sweeps_run().items():
                if count or not loop:
                    self.stdout.write(f"{path}: {count}")
            if not loop:
                return
            time.sleep(interval)
