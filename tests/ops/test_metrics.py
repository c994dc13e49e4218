"""Prometheus metrics: off by default, only for trusted networks, business gauges in a fixed number of
queries, Celery task counters from the signals, multiprocess mode adding up every process."""

import math
import subprocess  # nosec B404
import sys
import textwrap
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.choices import DeliveryStatus
from common.models import SweepRun
from common.sweeps import sweeps_run
from common.tasks import run_sweep
from escrow.choices import PayoutStatus
from escrow.models import Payout, PayoutAccount, WebhookEvent
from leasing.choices import LeaseState as S
from marketplace.metrics import BusinessCollector
from tests.api.factories import WebhookDeliveryFactory
from tests.leasing.factories import Parties

from .prod import ROOT, run, settings_values

URL = "/internal/metrics"
SWEEP = "leasing.services.leases_expire_holds"
PROMETHEUS_MIDDLEWARE = (
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
)


@pytest.fixture
def metrics_on(settings):
    settings.PROMETHEUS_METRICS = True
    settings.MIDDLEWARE = [PROMETHEUS_MIDDLEWARE[0], *settings.MIDDLEWARE, PROMETHEUS_MIDDLEWARE[1]]
    return settings


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


@pytest.mark.django_db
def test_metrics_are_off_by_default(client, settings):
    assert settings.PROMETHEUS_METRICS is False
    assert "django_prometheus" not in settings.INSTALLED_APPS
    assert not any(name.startswith("django_prometheus") for name in settings.MIDDLEWARE)

    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_loopback_reads_the_metrics_when_they_are_on(client, metrics_on):
    client.get("/healthz")  # a request for django-prometheus to count

    response = client.get(URL)  # the test client comes from 127.0.0.1

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "django_http_requests_total_by_method",
        "django_http_responses_total_by_status",
        "django_http_requests_latency_seconds_by_view_method",
        "wareshare_celery_tasks",
        "wareshare_celery_task_duration_seconds",
        "wareshare_money_movements",
        "wareshare_money_movements_oldest_age_seconds",
        "wareshare_webhook_backlog",
        "wareshare_webhook_backlog_oldest_age_seconds",
        "wareshare_sweep_seconds_since_success",
        "wareshare_sweep_interval_seconds",
    } <= names


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["203.0.113.9", "8.8.8.8", "2001:db8::1"])
def test_an_outside_address_is_refused(client, metrics_on, address):
    assert client.get(URL, REMOTE_ADDR=address).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["10.0.3.7", "172.20.0.5", "192.168.1.10", "::1", "::ffff:127.0.0.1"])
def test_private_networks_are_allowed_by_default(client, metrics_on, address):
    assert client.get(URL, REMOTE_ADDR=address).status_code == 200


@pytest.mark.django_db
def test_the_allowed_networks_are_a_setting(client, metrics_on):
    metrics_on.PROMETHEUS_ALLOWED_NETWORKS = ["10.9.0.0/16"]

    assert client.get(URL, REMOTE_ADDR="10.9.4.4").status_code == 200
    assert client.get(URL, REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_x_forwarded_for_cannot_be_spoofed(client, metrics_on):
    # No trusted proxy: the header is the client's own words and is ignored.
    assert client.get(URL, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404

    # Behind one proxy (10.0.0.2): the client is the address the proxy appended, the last one.
    metrics_on.TRUSTED_PROXY_COUNT = 1
    spoofed = "127.0.0.1, 203.0.113.9"  # the client wrote 127.0.0.1; the proxy appended its real address
    assert client.get(URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=spoofed).status_code == 404
    assert client.get(URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200
    assert client.get(URL, REMOTE_ADDR="10.0.0.2").status_code == 404  # the proxy did not say: refused
    assert client.get(URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip").status_code == 404


def business() -> dict:
    """The business gauges, and how many queries computing them took."""
    with CaptureQueriesContext(connection) as queries:
        families = list(BusinessCollector().collect())
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }
    return {"samples": found, "queries": len(queries)}


def sample(found: dict, name: str, **labels: str) -> float:
    return found["samples"][(name, tuple(sorted(labels.items())))]


@pytest.mark.django_db
def test_business_gauges_count_what_needs_attention_in_six_queries(django_capture_on_commit_callbacks, clock):
    empty = business()
    assert empty["queries"] == 6
    assert sample(empty, "wareshare_money_movements", kind="payout", status="waiting") == 0
    assert sample(empty, "wareshare_webhook_backlog", direction="outbound", state="due") == 0
    assert sample(empty, "wareshare_sweep_seconds_since_success", sweep=SWEEP) == math.inf

    # A confirmed lease whose owner has no payout account: its payout waits.
    p = Parties()
    PayoutAccount.objects.all().delete()
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    assert Payout.objects.get().status == PayoutStatus.WAITING
    WebhookDeliveryFactory.create_batch(3)
    WebhookDeliveryFactory(next_attempt_at=timezone.now() + timedelta(hours=1))  # pending, not yet due
    WebhookDeliveryFactory(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
    WebhookEvent.objects.create(event_id="evt_1", type="charge.refunded", payload={})
    WebhookEvent.objects.create(event_id="evt_2", type="charge.refunded", payload={}, error="KeyError")
    WebhookEvent.objects.create(event_id="evt_3", type="charge.refunded", payload={}, processed_at=timezone.now())
    run_sweep(SWEEP)
    clock.advance(minutes=10)

    full = business()

    assert full["queries"] == empty["queries"]  # however many rows
    assert sample(full, "wareshare_money_movements", kind="payout", status="waiting") == 1
    assert sample(full, "wareshare_money_movements_oldest_age_seconds", kind="payout", status="waiting") >= 600
    assert sample(full, "wareshare_money_movements", kind="payout", status="failed") == 0
    assert sample(full, "wareshare_webhook_backlog", direction="outbound", state="pending") == 4
    assert sample(full, "wareshare_webhook_backlog", direction="outbound", state="due") == 3
    assert sample(full, "wareshare_webhook_backlog_oldest_age_seconds", direction="outbound") > 590
    assert sample(full, "wareshare_webhook_backlog", direction="inbound", state="unprocessed") == 2
    assert sample(full, "wareshare_webhook_backlog", direction="inbound", state="failed") == 1
    assert 600 <= sample(full, "wareshare_sweep_seconds_since_success", sweep=SWEEP) < 700
    assert sample(full, "wareshare_sweep_interval_seconds", sweep=SWEEP) == 60

    Payout.objects.update(status=PayoutStatus.FAILED)
    assert sample(business(), "wareshare_money_movements", kind="payout", status="failed") == 1


@pytest.mark.django_db
def test_each_sweep_run_is_recorded_by_celery_and_by_the_loop(settings):
    run_sweep(SWEEP)
    assert SweepRun.objects.get(path=SWEEP).handled == 0

    first = SweepRun.objects.get(path=SWEEP).finished_at

    sweeps_run()  # the demo's loop (manage.py run_sweeps)

    assert set(SweepRun.objects.values_list("path", flat=True)) == set(settings.WARESHARE_SWEEPS)
    assert SweepRun.objects.get(path=SWEEP).finished_at >= first  # one row per sweep, updated


def task_count(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "wareshare_celery_tasks_total", {"task": "common.tasks.run_sweep", "outcome": outcome}
        )
        or 0.0
    )


def task_timings() -> float:
    return (
        REGISTRY.get_sample_value("wareshare_celery_task_duration_seconds_count", {"task": "common.tasks.run_sweep"})
        or 0.0
    )


@pytest.mark.django_db
def test_celery_signals_count_task_runs_and_outcomes(settings):
    settings.PROMETHEUS_METRICS = True
    successes, failures, timings = task_count("success"), task_count("failure"), task_timings()

    assert run_sweep.delay(SWEEP).get() == 0  # eager in tests: the worker's code path, signals included
    # A worker does not raise a task's error (eager tests do): it records it, and the signals see it.
    failed = run_sweep.apply(args=("os.system",), throw=False)
    assert failed.failed()

    assert task_count("success") == successes + 1
    assert task_count("failure") == failures + 1
    assert task_timings() == timings + 2


@pytest.mark.django_db
def test_celery_signals_record_nothing_when_metrics_are_off(settings):
    assert settings.PROMETHEUS_METRICS is False
    successes, timings = task_count("success"), task_timings()

    run_sweep.delay(SWEEP).get()

    assert (task_count("success"), task_timings()) == (successes, timings)


def test_production_settings_add_django_prometheus_only_when_asked():
    off = settings_values(["INSTALLED_APPS", "MIDDLEWARE", "DATABASES"])
    on = settings_values(["INSTALLED_APPS", "MIDDLEWARE", "DATABASES"], PROMETHEUS_METRICS="true")

    assert "django_prometheus" not in off["INSTALLED_APPS"]
    assert not any("prometheus" in name for name in off["MIDDLEWARE"])
    assert off["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert "django_prometheus" in on["INSTALLED_APPS"]
    assert on["MIDDLEWARE"][-1] == PROMETHEUS_MIDDLEWARE[1]
    assert PROMETHEUS_MIDDLEWARE[0] in on["MIDDLEWARE"][:2]
    assert on["DATABASES"]["default"]["ENGINE"] == "django_prometheus.db.backends.postgresql"


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """What gunicorn's workers (or Celery's pool) write to PROMETHEUS_MULTIPROC_DIR, one scrape reads."""
    script = textwrap.dedent(
        """
        import multiprocessing, os, sys
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess
        from common.metrics import TASKS, multiproc_dir_clear

        def work():
            TASKS.labels(task="common.tasks.run_sweep", outcome="success").inc()

        if __name__ == "__main__":
            (open(os.path.join(sys.argv[1], "counter_999999.db"), "wb")).close()  # a stale file of a last run
            multiproc_dir_clear(sys.argv[1])
            assert not os.listdir(sys.argv[1])
            processes = [multiprocessing.get_context("fork").Process(target=work) for _ in range(3)]
            for process in processes:
                process.start()
            for process in processes:
                process.join()
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            print(generate_latest(registry).decode())
        """
    )
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    result = subprocess.run(  # nosec B603
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert value(result.stdout, "wareshare_celery_tasks_total", task="common.tasks.run_sweep", outcome="success") == 3


class FakeBroker:
    """Stands in for the Redis broker (the boundary): a queue of ``length`` tasks, or down."""

    def __init__(self, length: int | None) -> None:
        self.length = length
        self.asked: list[str] = []

    def llen(self, name: str) -> int:
        self.asked.append(name)
        if self.length is None:
            raise redis.ConnectionError("down")
        return self.length

    def close(self) -> None:
        pass


@pytest.mark.django_db
def test_the_queue_length_is_read_from_a_redis_broker(settings, monkeypatch):
    broker = FakeBroker(17)
    monkeypatch.setattr(redis.Redis, "from_url", lambda url, **kwargs: broker)

    assert ("wareshare_celery_queue_length", (("queue", "celery"),)) not in business()["samples"]  # no broker

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"
    found = business()
    assert sample(found, "wareshare_celery_queue_length", queue="celery") == 17
    assert broker.asked == ["celery"]
    assert found["queries"] == 6

    broker.length = None  # the broker is down: the series goes missing, the page still answers
    assert ("wareshare_celery_queue_length", (("queue", "celery"),)) not in business()["samples"]


def test_a_malformed_allowed_network_stops_startup():
    result = run(["manage.py", "check"], PROMETHEUS_ALLOWED_NETWORKS="10.0.0.0/8,10.0.0.300/32")

    assert result.returncode != 0
    assert "10.0.0.300/32" in result.stderr.strip().splitlines()[-1]
