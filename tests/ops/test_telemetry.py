"""Error reporting: nothing starts without a DSN, and what is sent has nothing identifying left."""

import io
import json
import logging

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from common.telemetry import scrub, sentry_init, sentry_options

from .prod import run
from .sentry_urls import API_KEY, EMAIL

# Everything here would identify a person, a card or a credential.
SECRETS = [
    EMAIL,
    "bob.owner",
    "4242",
    "4000056655665556",
    "5556",
    "2031",
    "wsk_",
    "Q" * 20,
    "sk_test_51Habc123secret",
    "whsec_",
    "t=1733590000,v1=",
    "sess-abcdef123456",
    "csrf-zyx987",
    "idem-7f3e9c",
    "203.0.113.9",
    "pi_3Nabc_secret_xyz",
]


def realistic_event() -> dict:
    """An event as the SDK hands it to before_send: a failed Stripe call during checkout."""
    return {
        "event_id": "9f3c2a1b4d5e6f708192a3b4c5d6e7f8",
        "level": "error",
        "platform": "python",
        "message": f"Payment failed for {EMAIL}",
        "logentry": {"message": "Payment failed for %s", "params": [EMAIL]},
        "exception": {
            "values": [
                {
                    "type": "CardError",
                    "value": f"Your card 4242-4242-4242-4242 was declined ({EMAIL}, client secret pi_3Nabc_secret_xyz)",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "lease_pay",
                                "module": "leasing.services.payments",
                                "lineno": 88,
                                "vars": {
                                    "email": EMAIL,
                                    "card": {"number": "4000056655665556", "exp_month": 12, "exp_year": 2031},
                                    "api_key": API_KEY,
                                    "headers": {"Authorization": f"Bearer {API_KEY}"},
                                    "amount": "120.00",
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": f"https://wareshare.example.com/api/v1/leases/12/pay?email={EMAIL}&token=sess-abcdef123456",
            "method": "POST",
            "query_string": f"email={EMAIL}&token=sess-abcdef123456",
            "headers": {
                "Authorization": f"Bearer {API_KEY}",
                "Cookie": "sessionid=sess-abcdef123456; csrftoken=csrf-zyx987",
                "Stripe-Signature": "t=1733590000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
                "Idempotency-Key": "idem-7f3e9c",
                "User-Agent": "erp/1.0",
                "X-Forwarded-For": "203.0.113.9",
            },
            "cookies": {"sessionid": "sess-abcdef123456", "csrftoken": "csrf-zyx987"},
            "data": {
                "email": EMAIL,
                "card": {"number": "4242424242424242", "cvc": "123", "exp_month": 1, "exp_year": 2031},
                "note": f"call {EMAIL}",
                "cvc": "123",
                "secret": "whsec_abcdef",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9", "SERVER_NAME": "web-1"},
        },
        "user": {"id": 7, "email": EMAIL, "username": EMAIL, "ip_address": "203.0.113.9"},
        "extra": {"stripe_key": "sk_test_51Habc123secret", "owner": EMAIL, "pan": 4242424242424242},
        "tags": {"payer": EMAIL, "lease": "12"},
        "breadcrumbs": {
            "values": [
                {"category": "django.request", "message": f"POST /pay by {EMAIL}", "data": {"email": EMAIL}},
                {"category": "httplib", "data": {"url": "https://api.stripe.com/v1/payment_intents", "cvc": "123"}},
            ]
        },
        "contexts": {"trace": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}},
        "modules": {"django": "5.2.19", "django-allauth": "65.21.1"},
    }


def test_the_scrubber_leaves_nothing_identifying_in_a_realistic_event():
    event = realistic_event()

    clean = scrub(event)

    text = json.dumps(clean)
    for secret in SECRETS:
        assert secret not in text, secret
    assert clean["user"] == {"id": 7}
    assert "cookies" not in clean["request"]
    assert "env" not in clean["request"]
    assert clean["request"]["headers"]["Authorization"] == "[Filtered]"
    assert clean["request"]["headers"]["Stripe-Signature"] == "[Filtered]"
    assert clean["request"]["headers"]["Idempotency-Key"] == "[Filtered]"
    assert clean["request"]["headers"]["User-Agent"] == "erp/1.0"  # what is not sensitive stays readable
    assert clean["request"]["data"]["card"] == "[Filtered]"
    assert clean["exception"]["values"][0]["type"] == "CardError"
    assert clean["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["amount"] == "120.00"
    assert clean["message"] == "Payment failed for [email]"
    assert clean["tags"]["lease"] == "12"
    assert clean["modules"] == event["modules"]  # the SDK's own description is kept as it is


def test_without_a_dsn_sentry_is_not_started():
    assert sentry_init(dsn="", environment="production") is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize(("dsn", "active"), [(None, "False"), ("https://public@sentry.invalid/1", "True")])
def test_production_settings_start_sentry_only_with_a_dsn(dsn, active):
    code = "import django, sentry_sdk; django.setup(); print(sentry_sdk.get_client().is_active())"

    result = run(["-c", code], SENTRY_DSN=dsn)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == active


class Recording(Transport):
    """A transport that keeps what it is given: nothing leaves the process."""

    def __init__(self) -> None:
        super().__init__(None)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def recording():
    transport = Recording()
    options = sentry_options(dsn="https://public@sentry.invalid/1", environment="test", traces_sample_rate=0.0)
    sentry_sdk.init(**options, transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    for scope in (sentry_sdk.get_isolation_scope(), sentry_sdk.get_current_scope()):
        scope.clear()


def wsgi_post(path: str, body: bytes, headers: dict[str, str]) -> str:
    """POST through Django's real WSGI handler (which Sentry's Django integration wraps, adding the
    request's URL and headers to events), not the test client's handler."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path.partition("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "203.0.113.9",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "HTTP_HOST": "testserver",
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    statuses = []
    # As the test client does: the test's database connection must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return statuses[0]


@pytest.mark.django_db
def test_an_error_in_a_request_is_captured_and_scrubbed(recording, settings):
    settings.ROOT_URLCONF = "tests.ops.sentry_urls"
    body = json.dumps({"email": EMAIL, "card": {"number": "4242424242424242", "cvc": "123"}}).encode()

    status = wsgi_post(
        f"/fails?email={EMAIL}&token=sess-abcdef123456",
        body,
        {
            "Authorization": f"Bearer {API_KEY}",
            "Cookie": "sessionid=sess-abcdef123456; csrftoken=csrf-zyx987",
            "Stripe-Signature": "t=1733590000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
            "Idempotency-Key": "idem-7f3e9c",
            "X-Forwarded-For": "203.0.113.9",
            "User-Agent": "erp/1.0",
        },
    )
    sentry_sdk.flush()

    assert status.startswith("500")
    events = [envelope.get_event() for envelope in recording.envelopes if envelope.get_event()]
    assert len(events) == 1
    event = events[0]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "ValueError"
    assert "charge failed for [email]: card [card] via [Filtered]" in exception["value"]
    assert event["user"] == {"id": 7}
    assert event["extra"]["card"] == "[Filtered]"
    request = event["request"]
    assert request["method"] == "POST"
    assert request["url"] == "http://testserver/fails"
    assert request["headers"]["User-Agent"] == "erp/1.0"
    assert "Authorization" not in request["headers"] or request["headers"]["Authorization"] == "[Filtered]"
    assert "data" not in request  # bodies are not collected at all
    sent = b"".join(envelope.serialize() for envelope in recording.envelopes).decode()
    for secret in SECRETS:
        assert secret not in sent, secret


def test_an_error_logged_is_an_event_and_is_scrubbed(recording):
    logging.getLogger("escrow.reconcile").info("checking the lease of %s", EMAIL)  # a breadcrumb only
    logging.getLogger("escrow.reconcile").error("ledger and processor differ for %s: %s", EMAIL, API_KEY)
    sentry_sdk.flush()

    events = [envelope.get_event() for envelope in recording.envelopes if envelope.get_event()]
    assert len(events) == 1
    assert events[0]["logentry"]["formatted"] == "ledger and processor differ for [email]: [Filtered]"
    assert [crumb["message"] for crumb in events[0]["breadcrumbs"]["values"]] == ["checking the lease of [email]"]
    sent = b"".join(envelope.serialize() for envelope in recording.envelopes).decode()
    assert EMAIL not in sent
    assert "wsk_" not in sent


def test_every_hook_scrubs():
    options = sentry_options(dsn="https://public@sentry.invalid/1", environment="test", traces_sample_rate=0.0)
    crumb = {"message": f"login {EMAIL}", "data": {"Authorization": "Basic Ym9iOnNlY3JldA=="}}
    span = {"name": "POST /pay", "attributes": {"http.request.header.cookie": "sessionid=sess-abcdef123456"}}

    clean_crumb = options["before_breadcrumb"](crumb, {})
    assert clean_crumb == {"message": "login [email]", "data": {"Authorization": "[Filtered]"}}
    assert "sess-abcdef123456" not in json.dumps(options["before_send_span"](span, {}))
    assert EMAIL not in json.dumps(options["before_send_log"]({"body": f"mail to {EMAIL}"}, {}))
    assert options["data_collection"]["user_info"] is False
    assert options["data_collection"]["http_bodies"] == []
    assert options["data_collection"]["stack_frame_variables"] is False
