"""The Celery app: Redis broker (``CELERY_BROKER_URL``) and result backend (``CELERY_RESULT_BACKEND``,
default ``REDIS_URL``), configured from Django settings (``CELERY_*``).

Without a broker (the demo, the tests) ``CELERY_TASK_ALWAYS_EAGER`` is on and work runs in process.
Beat runs every sweep in ``settings.WARESHARE_SWEEPS`` through ``common.tasks.run_sweep`` at the
interval below; run exactly one beat. Workers can be many: every task wraps an idempotent service.
"""

import os
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.production")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    result_expires=timedelta(days=1),
    timezone="UTC",
    enable_utc=True,
    # A task is acknowledged after it ran, so a worker that dies mid-task leaves it for another
    # (the services are idempotent); prefetch one at a time so a long sweep does not hoard tasks.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_eager_propagates=True,
    broker_connection_retry_on_startup=True,
    # A second beat started by mistake stands by instead of sending every sweep twice (common/beat.py).
    beat_scheduler="common.beat:SingleBeatScheduler",
)
app.autodiscover_tasks()

MINUTE = 60
# How often beat runs each sweep; a sweep missing here runs every DEFAULT_SWEEP_INTERVAL seconds.
SWEEP_INTERVALS: dict[str, int] = {
    "leasing.services.leases_expire_holds": MINUTE,
    "leasing.services.leases_expire_unpaid": MINUTE,
    "leasing.services.leases_fund_paid": MINUTE,
    "leasing.services.leases_auto_confirm": MINUTE,
    "leasing.services.leases_complete": 60 * MINUTE,
    "inventory.lifecycle.lease_end_remind": 60 * MINUTE,
    "leasing.services.leases_charge_due": 15 * MINUTE,  # monthly billing: off-session charges
    "leasing.services.leases_shorten_unpaid": 15 * MINUTE,
    "warehouses.services.calendar_extend_all": 24 * 60 * MINUTE,
    "escrow.processor.payouts_retry": 5 * MINUTE,
    "escrow.processor.refunds_retry": 5 * MINUTE,
    "escrow.chargebacks.chargebacks_recover": 5 * MINUTE,
    "escrow.reconcile.escrow_reconcile_sweep": 24 * 60 * MINUTE,  # nightly; differences logged at ERROR
    "trust.rating.ratings_recompute_all": 24 * 60 * MINUTE,  # also recomputed on each relevant event
    "documents.services.statements_issue_due": 60 * MINUTE,  # a month's statements once it is over
}
DEFAULT_SWEEP_INTERVAL = 5 * MINUTE


def sweep_schedule(sweeps: list[str]) -> dict[str, dict[str, Any]]:
    """Beat entries: one ``run_sweep(path)`` per sweep. A run that beat could not start within its
    interval is dropped (``expires``), so a stopped worker does not come back to a pile of sweeps."""
    from django.conf import settings

    intervals = {**SWEEP_INTERVALS, **getattr(settings, "WARESHARE_SWEEP_INTERVALS", {})}
    schedule = {}
    for path in sweeps:
        seconds = intervals.get(path, DEFAULT_SWEEP_INTERVAL)
        schedule[f"sweep:{path}"] = {
            "task": "common.tasks.run_sweep",
            "schedule": timedelta(seconds=seconds),
            "args": (path,),
            "options": {"expires": seconds},
        }
    return schedule


@setup_logging.connect
def _django_logging(**kwargs: Any) -> None:
    """Workers and beat log through Django's LOGGING (JSON lines in production), not Celery's own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@app.on_after_configure.connect
def _schedule_sweeps(sender: Celery, **kwargs: Any) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {**sweep_schedule(settings.WARESHARE_SWEEPS), **(sender.conf.beat_schedule or {})}
