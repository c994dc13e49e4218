"""``/internal/metrics``: Prometheus metrics for the networks we trust, when ``PROMETHEUS_METRICS`` is on.

What is served: django-prometheus's request and database metrics, Celery task metrics
(``common.metrics``), and business gauges computed at each scrape by ``BusinessCollector`` in a fixed
number of queries, whatever the number of rows. With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's
several workers) the page adds up what every worker process wrote there. Alerts and thresholds:
docs/deploy.md "Telemetry".
"""

import functools
import logging
import math
from collections.abc import Iterator
from datetime import datetime

import redis
from django.conf import settings
from django.db.models import Count, Min, Model, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from api.choices import DeliveryStatus
from api.models import WebhookDelivery
from common.models import SweepRun
from common.net import Network, client_ip, ip_in_networks, networks_parse
from escrow.choices import PayoutStatus, RefundStatus, ReversalStatus
from escrow.models import Payout, Refund, TransferReversal, WebhookEvent

from .celery import DEFAULT_SWEEP_INTERVAL, SWEEP_INTERVALS
from .celery import app as celery_app

logger = logging.getLogger(__name__)

# Money that has not reached its end: these states are what an operator watches.
OPEN_STATES: dict[str, tuple[type[Model], list[str]]] = {
    "payout": (Payout, [PayoutStatus.WAITING, PayoutStatus.PENDING, PayoutStatus.FAILED]),
    "refund": (Refund, [RefundStatus.PENDING, RefundStatus.FAILED]),
    "reversal": (TransferReversal, [ReversalStatus.PENDING, ReversalStatus.FAILED]),
}


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then else 0.0


class BusinessCollector(Collector):
    """Gauges worth alerting on, read at scrape time: 6 database queries, and one LLEN when the
    broker is Redis."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield from self._money(now)
        yield from self._webhooks(now)
        yield from self._sweeps(now)
        yield from self._queue()

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        url = settings.CELERY_BROKER_URL
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return  # no broker (eager): nothing waits
        queue = celery_app.conf.task_default_queue
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            length = client.llen(queue)
        except redis.RedisError as error:
            logger.warning("metrics: cannot read the length of queue %s: %s", queue, error)
            return  # the series goes missing: alert on absent() as well as on the threshold
        finally:
            client.close()
        depth = GaugeMetricFamily(
            "wareshare_celery_queue_length", "Tasks waiting in the broker for a worker.", labels=["queue"]
        )
        depth.add_metric([queue], float(length))
        yield depth

    def _money(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        count = GaugeMetricFamily(
            "wareshare_money_movements",
            "Payouts, refunds and transfer reversals not yet done, by kind and status (failed ones retry).",
            labels=["kind", "status"],
        )
        oldest = GaugeMetricFamily(
            "wareshare_money_movements_oldest_age_seconds",
            "Age of the oldest payout, refund or transfer reversal in each open status (0 when none).",
            labels=["kind", "status"],
        )
        for kind, (model, states) in OPEN_STATES.items():
            rows = {
                row["status"]: row
                for row in model._default_manager.filter(status__in=states)
                .values("status")
                .annotate(n=Count("id"), oldest=Min("created_at"))
                .order_by()
            }
            for state in states:
                row = rows.get(state, {})
                count.add_metric([kind, state], row.get("n", 0))
                oldest.add_metric([kind, state], _age(now, row.get("oldest")))
        yield count
        yield oldest

    def _webhooks(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        due = Q(next_attempt_at__lte=now)
        outbound = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, endpoint__disabled_at=None).aggregate(
            pending=Count("id"), due=Count("id", filter=due), oldest_due=Min("next_attempt_at", filter=due)
        )
        inbound = WebhookEvent.objects.filter(processed_at=None).aggregate(
            unprocessed=Count("id"), failed=Count("id", filter=~Q(error="")), oldest=Min("received_at")
        )
        backlog = GaugeMetricFamily(
            "wareshare_webhook_backlog",
            "Webhooks not yet handled: outbound API deliveries pending (and due now), processor events not processed.",
            labels=["direction", "state"],
        )
        backlog.add_metric(["outbound", "pending"], outbound["pending"])
        backlog.add_metric(["outbound", "due"], outbound["due"])
        backlog.add_metric(["inbound", "unprocessed"], inbound["unprocessed"])
        backlog.add_metric(["inbound", "failed"], inbound["failed"])
        yield backlog
        age = GaugeMetricFamily(
            "wareshare_webhook_backlog_oldest_age_seconds",
            "How long the oldest due outbound delivery has waited, and the oldest unprocessed processor event.",
            labels=["direction"],
        )
        age.add_metric(["outbound"], _age(now, outbound["oldest_due"]))
        age.add_metric(["inbound"], _age(now, inbound["oldest"]))
        yield age

    def _sweeps(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        finished = dict(SweepRun.objects.values_list("path", "finished_at"))
        since = GaugeMetricFamily(
            "wareshare_sweep_seconds_since_success",
            "Seconds since each sweep last finished without an error (+Inf: never recorded).",
            labels=["sweep"],
        )
        interval = GaugeMetricFamily(
            "wareshare_sweep_interval_seconds", "How often Celery beat runs each sweep.", labels=["sweep"]
        )
        for path in settings.WARESHARE_SWEEPS:
            since.add_metric([path], _age(now, finished[path]) if path in finished else math.inf)
            interval.add_metric([path], SWEEP_INTERVALS.get(path, DEFAULT_SWEEP_INTERVAL))
        yield since
        yield interval


@functools.lru_cache(maxsize=4)
def _allowed(networks: tuple[str, ...]) -> list[Network]:
    return networks_parse(list(networks))


def metrics_page() -> bytes:
    """The Prometheus text page: every process's metrics, then the business gauges."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        processes = REGISTRY
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    return generate_latest(processes) + generate_latest(business)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """404 unless metrics are on and the client (behind the trusted proxies) is in an allowed network."""
    if not settings.PROMETHEUS_METRICS:
        raise Http404
    if not ip_in_networks(client_ip(request), _allowed(tuple(settings.PROMETHEUS_ALLOWED_NETWORKS))):
        raise Http404
    return HttpResponse(metrics_page(), content_type=CONTENT_TYPE_LATEST)
