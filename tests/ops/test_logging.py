"""Request ids and JSON log lines."""

import json
import logging

import pytest
from django.test import override_settings

from common.logging import JsonFormatter, RequestIdFilter, request_id_var

pytestmark = pytest.mark.django_db

WITH_REQUEST_IDS = override_settings(
    MIDDLEWARE=["common.middleware.RequestIdMiddleware", "django.middleware.common.CommonMiddleware"]
)


@WITH_REQUEST_IDS
def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32
    assert first != second


@WITH_REQUEST_IDS
def test_a_well_formed_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level": "ERROR"}')["X-Request-ID"]
    assert len(forged) == 32  # a fresh id, not the forged text


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord("leasing", logging.WARNING, __file__, 1, "lease %s expired", (7,), None)
    record.lease = 7
    token = request_id_var.set("req-0001")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "lease 7 expired"
    assert line["level"] == "WARNING"
    assert line["request_id"] == "req-0001"
    assert line["lease"] == 7
    assert line["time"].endswith("+00:00")


class _Lines(logging.Handler):
    """The JSON lines a logger writes, through the production filter and formatter."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def django_request_lines():
    handler = _Lines()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@WITH_REQUEST_IDS
def test_error_lines_django_logs_after_the_middleware_carry_the_request_id(client, monkeypatch, django_request_lines):
    """A 5xx (or 4xx) a view returns is logged by Django once every middleware has returned."""
    from marketplace import views

    def unapplied() -> str:
        raise RuntimeError("1 unapplied migration(s)")

    monkeypatch.setattr(views, "_check_migrations", unapplied)

    response = client.get("/readyz", HTTP_X_REQUEST_ID="lb-5030abcd")
    bad = client.post("/escrow/webhooks/stripe/", b"{}", content_type="application/json")

    assert response.status_code == 503
    assert bad.status_code == 400
    errors = [line for line in django_request_lines if line["level"] == "ERROR"]
    warnings = [line for line in django_request_lines if line["level"] == "WARNING"]
    assert [line["request_id"] for line in errors] == ["lb-5030abcd"]
    assert [line["request_id"] for line in warnings] == [bad["X-Request-ID"]]
    assert request_id_var.get() == "-"  # forgotten once the response is closed
