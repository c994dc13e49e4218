"""Error reporting to Sentry, and the scrubber every event passes through before it leaves.

``sentry_init`` is called by the production settings (which web processes, Celery workers and beat
all load) and does nothing without a DSN. The SDK is told to collect as little as it can
(``data_collection``: no user details, cookies, request bodies, SQL parameters, task arguments or
local variables); ``scrub`` then walks whatever is left — message, exception values, extra, tags,
request, breadcrumbs, spans, logs, user — and removes:

- email addresses anywhere in a string;
- card data: runs of 13–19 digits (spaces or dashes between them allowed), and the values of keys
  such as ``card``, ``cvc``, ``number``, ``exp_month``;
- credentials: the values of ``Authorization``, ``Cookie``, ``Stripe-Signature``,
  ``Idempotency-Key`` and of any key naming a password, secret, token, signature or session;
  Wareshare API keys (``wsk_<prefix>_<secret>``, api/keys.py), Stripe keys and client secrets,
  webhook secrets and bearer tokens wherever they appear in a string;
- the user, down to its id; the client's address (``X-Forwarded-For``, any IPv4 address in a string).
"""

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

FILTERED = "[Filtered]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# 13 to 19 digits, single spaces or dashes allowed between them: every card number format.
_PAN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_SECRETS = re.compile(
    r"wsk_[A-Za-z0-9]+_[A-Za-z0-9_-]+"  # Wareshare API key (api/keys.py)
    r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+"  # Stripe API keys
    r"|\bwhsec_[A-Za-z0-9]+"  # Stripe webhook signing secret
    r"|\b(?:pi|seti|cs)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"  # Stripe client secrets
    r"|\b(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+",
    re.IGNORECASE,
)
_SENSITIVE_PARTS = (
    "authorization",
    "cookie",
    "password",
    "passwd",
    "secret",
    "token",
    "signature",
    "session",
    "csrf",
    "api_key",
    "apikey",
    "idempotency",
    "dsn",
    "iban",
    "card",
    "cvc",
    "cvv",
    "private",
    "email",
    "forwarded",
    "real_ip",
    "client_ip",
)
_SENSITIVE_NAMES = frozenset({"key", "hashed_key", "number", "exp", "pan", "auth", "ip_address", "remote_addr"})
# Parts of an event that describe the SDK and the runtime, never the user: kept as they are.
_KEPT = frozenset({"sdk", "modules", "platform", "event_id", "timestamp", "start_timestamp", "level", "type"})


def _sensitive(key: str) -> bool:
    name = key.lower().replace("-", "_")
    if name.startswith("http_"):  # WSGI names: HTTP_AUTHORIZATION, HTTP_STRIPE_SIGNATURE
        name = name[5:]
    return name in _SENSITIVE_NAMES or name.startswith("exp_") or any(part in name for part in _SENSITIVE_PARTS)


def scrub_text(text: str) -> str:
    """``text`` without email addresses, card numbers or credentials."""
    text = _SECRETS.sub(FILTERED, text)
    text = _EMAIL.sub("[email]", text)
    text = _IPV4.sub("[ip]", text)
    return _PAN.sub("[card]", text)


def _scrub_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return scrub_text(query)
    return urlencode([(name, FILTERED if _sensitive(name) else scrub_text(value)) for name, value in pairs])


def scrub_value(value: Any) -> Any:
    """A copy of ``value`` with every sensitive key's value filtered and every string scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return "[card]" if 13 <= len(str(abs(value))) <= 19 else value
    if isinstance(value, dict):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]
    return scrub_text(repr(value))


def _scrub_item(key: Any, value: Any) -> Any:
    if isinstance(key, str) and _sensitive(key) and value not in (None, ""):
        return FILTERED
    return scrub_value(value)


def scrub(event: dict[str, Any]) -> dict[str, Any]:
    """The event with nothing identifying left in it (see the module docstring)."""
    clean: dict[str, Any] = {}
    for key, value in event.items():
        if key in _KEPT:
            clean[key] = value
        elif key == "user":
            clean[key] = {"id": value["id"]} if isinstance(value, dict) and "id" in value else {}
        elif key == "request" and isinstance(value, dict):
            clean[key] = _scrub_request(value)
        else:
            clean[key] = scrub_value(value)
    return clean


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in request.items():
        if key in ("cookies", "env"):  # session ids, CSRF tokens, the client's address
            continue
        if key == "query_string" and isinstance(value, str):
            clean[key] = _scrub_query(value)
        elif key == "url" and isinstance(value, str):
            base, _, query = value.partition("?")
            clean[key] = scrub_text(base) + (f"?{_scrub_query(query)}" if query else "")
        else:
            clean[key] = scrub_value(value)
    return clean


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry ``before_send`` (errors and messages) and ``before_send_check_in``."""
    return scrub(event)


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub(crumb)


def before_send_item(item: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry ``before_send_span`` / ``before_send_log``: the same scrubbing."""
    return scrub(item)


def sentry_options(*, dsn: str, environment: str, traces_sample_rate: float) -> dict[str, Any]:
    """The keyword arguments of ``sentry_sdk.init`` (tests pass them with a recording transport)."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    hook: Callable[..., Any] = before_send_item
    return {
        "dsn": dsn,
        "environment": environment,
        "traces_sample_rate": traces_sample_rate,
        "integrations": [
            DjangoIntegration(),
            CeleryIntegration(),
            # A line logged at ERROR (reconciliation differences, …) is an event; INFO lines are
            # breadcrumbs; none is shipped as a Sentry log.
            LoggingIntegration(level=None, event_level=logging.ERROR, breadcrumb_level=logging.INFO),
        ],
        # sentry-sdk 3 replaced send_default_pii with data_collection: collect no personal data.
        "data_collection": {
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {
                "request": {"mode": "denylist", "terms": ["cookie", "signature", "idempotency", "authorization"]}
            },
            "http_bodies": [],
            "url_query_params": {"mode": "denylist", "terms": ["email", "card"]},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "mcp": {"inputs": False, "outputs": False},
        },
        "auto_session_tracking": False,  # session envelopes carry the user's address and skip before_send
        "before_send": before_send,
        "before_breadcrumb": before_breadcrumb,
        "before_send_span": hook,
        "before_send_log": hook,
        "before_send_check_in": before_send,
    }


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> bool:
    """Start error reporting when ``dsn`` is set; returns whether it started."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(**sentry_options(dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate))
    return True
