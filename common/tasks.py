"""Celery tasks for the time-driven sweeps, and ``task_dispatch``, the one way services queue work."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as KombuOperationalError

from .sweeps import sweep_record

logger = logging.getLogger(__name__)


def task_dispatch(task: Any, *args: Any) -> None:
    """Run ``task(*args)`` once the current transaction commits: queued to a worker when Celery
    has a broker, called in process when ``CELERY_TASK_ALWAYS_EAGER`` (the demo and the tests),
    so errors surface exactly as a direct call's would.

    Only work a sweep also finds may be dispatched here (every caller's task has one: payouts and
    refunds are retried by ``escrow.processor.payouts_retry`` / ``refunds_retry``). So when the broker
    is down the step that committed still succeeds: the error is logged, not raised, and the sweep
    does the work once the broker is back (docs/operations.md, "Faults")."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: task(*args))
        return

    def queue() -> None:
        try:
            task.delay(*args)
        except KombuOperationalError as error:
            logger.error(
                "broker unavailable: %s%r not queued, its sweep will do it (%s)",
                getattr(task, "name", task),
                args,
                error,
            )

    transaction.on_commit(queue)


@shared_task(ignore_result=False)
def run_sweep(path: str) -> int:
    """Run one sweep from ``settings.WARESHARE_SWEEPS``; returns how many objects it handled.

    Only the listed sweeps can run: a path arriving from the broker is never imported blindly."""
    if path not in settings.WARESHARE_SWEEPS:
        raise ValueError(f"{path} is not a sweep listed in WARESHARE_SWEEPS")
    handled: int = import_string(path)()
    sweep_record(path, handled)
    if handled:
        logger.info("sweep %s handled %d", path, handled)
    return handled
