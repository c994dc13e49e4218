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
