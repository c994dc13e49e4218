import pytest
import stripe

from escrow.gateways.stripe import StripeGateway

from .fake_stripe import FakeStripe


class _NetworkForbidden(stripe.HTTPClient):
    """Stands in for the SDK's default HTTP client: a Stripe client built without the fake fails
    loudly instead of reaching api.stripe.com."""

    name = "network-forbidden"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError(f"a test tried to reach Stripe: {method.upper()} {url}")

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError(f"a test tried to reach Stripe: {method.upper()} {url}")

    def close(self):
        pass


@pytest.fixture(autouse=True)
def _no_stripe_network(monkeypatch):
    monkeypatch.setattr("stripe._stripe_client.new_default_http_client", lambda *a, **kw: _NetworkForbidden())
    monkeypatch.setattr("stripe._api_requestor.new_default_http_client", lambda *a, **kw: _NetworkForbidden())
    monkeypatch.setattr(stripe, "default_http_client", _NetworkForbidden())


@pytest.fixture
def fake_stripe():
    """Stripe's HTTP API in process; inspect ``.payment_intents``, ``.transfers``, ``.requests`` ..."""
    return FakeStripe()


@pytest.fixture
def stripe_gateway(fake_stripe):
    """The real StripeGateway (and SDK) talking to ``fake_stripe``."""
    return StripeGateway(api_key="sk_test_fake", webhook_secret="whsec_test", http_client=fake_stripe)


@pytest.fixture
def stripe_mode(settings, monkeypatch, stripe_gateway, fake_stripe):
    """Stripe keys set: every service uses the StripeGateway wired to the fake."""
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    monkeypatch.setattr("escrow.gateways.gateway_for", lambda name: stripe_gateway)
    return fake_stripe
