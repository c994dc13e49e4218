"""Time-driven steps. Each sweep is an idempotent service: running it twice, or on two
workers at once, handles each object once. The embedded demo runs them in a loop
(`manage.py run_sweeps --loop`); production runs the same functions from Celery beat.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import SweepRun

logger = logging.getLogger(__name__)


def sweep_functions() -> list[tuple[str, Callable[[], int]]]:
    return [(path, import_string(path)) for path in settings.WARESHARE_SWEEPS]


def sweep_record(path: str, handled: int) -> None:
    """Note that the sweep ``path`` just finished without an error (one upsert)."""
    SweepRun.objects.bulk_create(
        [SweepRun(path=path, finished_at=timezone.now(), handled=max(handled or 0, 0))],
        update_conflicts=True,
        unique_fields=["path"],
        update_fields=["finished_at", "handled"],
    )


def sweeps_run() -> dict[str, int]:
    """Run every sweep once; returns how many objects each one handled."""
    handled = {}
    for path, function in sweep_functions():
        handled[path] = function()
        sweep_record(path, handled[path])
        if handled[path]:
            logger.info("sweep %s handled %d", path, handled[path])
    return handled
