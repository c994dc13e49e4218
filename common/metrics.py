"""Celery task metrics for Prometheus, from Celery's signals (connected in ``CommonConfig.ready``).

``wareshare_celery_tasks_total{task, outcome}`` counts finished runs (outcome ``success``,
``failure``, ``retry``, …) and ``wareshare_celery_task_duration_seconds{task}`` times them. Nothing is
recorded unless ``settings.PROMETHEUS_METRICS`` is on. A worker's pool processes write to
``PROMETHEUS_MULTIPROC_DIR``; the worker's main process serves them when ``PROMETHEUS_WORKER_PORT``
is set (``metrics_worker_serve``), and marks a pool process dead when it exits.
"""

import logging
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_init, worker_process_shutdown, worker_ready
from django.conf import settings
from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

TASKS = Counter("wareshare_celery_tasks", "Celery task runs that finished, by task and outcome.", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "wareshare_celery_task_duration_seconds",
    "How long Celery tasks ran, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, float("inf")),
)

_started: dict[str, float] = {}


def _on(setting: str = "PROMETHEUS_METRICS") -> bool:
    return bool(getattr(settings, setting, False))


def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if _on() and task_id:
        _started[task_id] = time.monotonic()


def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None) if task_id else None
    if not _on():
        return
    name = getattr(task, "name", None) or "unknown"
    TASKS.labels(task=name, outcome=(state or "unknown").lower()).inc()
    if started is not None:
        TASK_SECONDS.labels(task=name).observe(time.monotonic() - started)


def _pool_process_exited(pid: int | None = None, **kwargs: Any) -> None:
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def _worker_starting(**kwargs: Any) -> None:
    if _on():
        multiproc_dir_clear(settings.PROMETHEUS_MULTIPROC_DIR)


def _worker_ready(**kwargs: Any) -> None:
    if _on() and settings.PROMETHEUS_WORKER_PORT:
        metrics_worker_serve(port=settings.PROMETHEUS_WORKER_PORT, addr=settings.PROMETHEUS_WORKER_ADDR)


def metrics_worker_serve(*, port: int, addr: str) -> None:
    """Serve this worker's metrics (every pool process's, in multiprocess mode) on ``addr:port``."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=addr, registry=registry)
    logger.info("worker metrics on http://%s:%d/metrics", addr, port)


def multiproc_dir_clear(path: str) -> None:
    """Empty a multiprocess directory before a service starts (the files of its last run would
    otherwise add up with the new ones). Called by gunicorn's ``on_starting`` and the worker's start."""
    if not path:
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def signals_connect() -> None:
    task_prerun.connect(_task_started, dispatch_uid="common.metrics.task_started", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="common.metrics.task_finished", weak=False)
    worker_process_shutdown.connect(_pool_process_exited, dispatch_uid="common.metrics.pool_exited", weak=False)
    worker_init.connect(_worker_starting, dispatch_uid="common.metrics.worker_starting", weak=False)
    worker_ready.connect(_worker_ready, dispatch_uid="common.metrics.worker_ready", weak=False)
