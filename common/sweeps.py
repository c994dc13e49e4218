"""Time-driven steps. Each sweep is an idempotent service: running it twice, or on two
workers at once, handles each object once. The embedded demo runs them in a loop
(`manage.py run_sweeps --loop`); production runs the same functions from Celery beat.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def sweep_functions() -> list[tuple[str, Callable[[], int]]]:
    return [(path, import_string(path)) for path in settings.WARESHARE_SWEEPS]


def sweeps_run() -> dict[str, int]:
    """Run every sweep once; returns how many objects each one handled."""
    handled = {}
    for path, function in sweep_functions():
        handled[path] = function()
        if handled[path]:
            logger.info("sweep %s handled %d", path, handled[path])
    return handled
