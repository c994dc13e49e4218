"""Pause points for the fault drill (scripts/fault_drill.sh): a way to stop a process at an exact
step, so the drill can kill it there. A no-op unless ``settings.WARESHARE_DRILL_DIR`` is set, which
only the drill does.

The drill arms a point by writing ``<dir>/pause-<point>`` holding a number of seconds. The first
process to reach the point claims the file (an atomic rename, so one process pauses, once), writes
``<dir>/paused-<point>`` with its pid, logs, and sleeps; the drill sees that file and kills the pid.
"""

import logging
import os
import time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def drill_pause(point: str, **context: object) -> None:
    """Sleep here if the fault drill armed ``point``; otherwise return at once."""
    directory = getattr(settings, "WARESHARE_DRILL_DIR", "")
    if not directory:
        return
    armed = Path(directory) / f"pause-{point}"
    claimed = armed.with_name(f"taken-{point}-{os.getpid()}")
    try:
        armed.rename(claimed)
    except FileNotFoundError:
        return
    seconds = float(claimed.read_text().strip() or "10")
    logger.warning("drill: pausing %.0fs at %s in pid %s %s", seconds, point, os.getpid(), context)
    (Path(directory) / f"paused-{point}").write_text(str(os.getpid()))
    time.sleep(seconds)
