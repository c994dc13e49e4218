"""Outbound webhooks: record events as deliveries, sign them, send them with retries.

A delivery is created (one ``INSERT … SELECT``) in the transaction of the change it reports
(``api.signals``) and sent after commit; whatever fails is retried by the ``deliveries_send`` sweep
with exponential backoff (1 min, 5 min, 30 min, 2 h, 12 h), then marked failed. Each POST carries
``Wareshare-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint secret>``
(docs/api.md has the receiver's recipe).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import F, Q, Value
from django.utils import timezone

from .choices import DeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint
from .services import webhooks_allow_http

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Wareshare-Signature"
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))
TIMEOUT_SECONDS = 5
# A delivery being sent is not picked up by another worker for this long.
CLAIM = timedelta(minutes=2)
EVENT_NAMESPACE = uuid.UUID("6f1c1c2e-3b57-4f59-9d0b-6a1d2c3e4f50")


def signature(secret: str, body: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event_record(*, event_type: str, source: str, recipients: Q, data: dict[str, Any]) -> int:
    """Create a delivery of ``event_type`` for every active endpoint matching ``recipients`` (a filter
    on WebhookEndpoint) that wants it, in the caller's transaction, and send them after commit.

    One statement whoever listens: ``INSERT … SELECT`` from the endpoints, so a delivery exists
    exactly when the change it reports is committed (nothing is lost if the process dies after
    the commit: the ``deliveries_send`` sweep sends what is pending). Idempotent on ``source`` (the
    row the event is about). Returns the number of deliveries created."""
    event_id = uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{source}")
    now = timezone.now()
    body = json.dumps(
        {"id": str(event_id), "type": event_type, "created": now.isoformat(), "data": data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )
    columns = {
        "endpoint_id": F("pk"),
        "event_id": Value(event_id, output_field=models.UUIDField()),
        "event_type": Value(event_type, output_field=models.CharField()),
        "body": Value(body, output_field=models.TextField()),
        "status": Value(DeliveryStatus.PENDING.value, output_field=models.CharField()),
        "attempts": Value(0, output_field=models.IntegerField()),
        "next_attempt_at": Value(now, output_field=models.DateTimeField()),
        "last_error": Value("", output_field=models.CharField()),
        "created_at": Value(now, output_field=models.DateTimeField()),
    }
    # ``WebhookEndpoint.wants`` in SQL: no list means every event; the list holds JSON strings.
    endpoints = WebhookEndpoint.objects.filter(recipients, disabled_at=None).filter(
        Q(events=[]) | Q(events__icontains=json.dumps(event_type))
    )
    select = endpoints.order_by().annotate(**{f"_{name}": value for name, value in columns.items()})
    sql, params = select.values_list(*(f"_{name}" for name in columns)).query.sql_with_params()
    table = WebhookDelivery._meta.db_table
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        cursor.execute(
            f"INSERT INTO {quote(table)} ({', '.join(quote(name) for name in columns)}) {sql} ON CONFLICT DO NOTHING",
            params,
        )
        created = max(cursor.rowcount, 0)
    if created and getattr(settings, "WARESHARE_WEBHOOKS_SEND_ON_COMMIT", True):
        transaction.on_commit(lambda: deliveries_send(event_id=event_id))
    return created


def deliveries_send(
    *, ids: list[int] | None = None, event_id: uuid.UUID | None = None, now: datetime | None = None
) -> int:
    """Sweep: send every due pending delivery (or only ``ids``, or only those of ``event_id``).
    Idempotent and safe on several workers: each delivery is claimed with a conditional UPDATE
    before it is sent."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__disabled_at=None
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    if event_id is not None:
        due = due.filter(event_id=event_id)
    delivered = 0
    for pk in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:500]):
        claimed = WebhookDelivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
            next_attempt_at=now + CLAIM
        )
        if claimed and _attempt(WebhookDelivery.objects.select_related("endpoint").get(pk=pk), now=now):
            delivered += 1
    return delivered


def _attempt(delivery: WebhookDelivery, *, now: datetime) -> bool:
    endpoint = delivery.endpoint
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Wareshare-Webhooks/1",
        "Wareshare-Event": delivery.event_type,
        "Wareshare-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: signature(endpoint.secret, delivery.body, int(time.time())),
    }
    status, error = _post(endpoint.url, delivery.body, headers)
    attempts = delivery.attempts + 1
    fields: dict[str, Any] = {"attempts": attempts, "last_status_code": status, "last_error": error[:300]}
    if status is not None and 200 <= status < 300:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None)
    elif attempts > len(BACKOFF):
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        logger.warning("webhook %s to %s failed for good: %s", delivery.event_id, endpoint.url, error)
    else:
        fields.update(next_attempt_at=now + BACKOFF[attempts - 1])
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return fields.get("status") == DeliveryStatus.SUCCEEDED


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer, not an invitation to post elsewhere


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _public_address(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(str(address).split("%")[0]).is_global for address in addresses)


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST ``body``; returns (HTTP status or None, error text)."""
    host = urlsplit(url).hostname or ""
    if not webhooks_allow_http() and not _public_address(host):
        return None, f"Refused: {host} is not a public address."
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))
