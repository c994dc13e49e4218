"""API keys, webhook endpoints and deliveries for tests that need the rows, not the way they are made.

Tests of key creation and hashing, and of which webhook URLs are accepted, go through
``api.services`` (``tests.api.conftest.key_for`` does for keys); these factories skip those rules.
"""

import secrets

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from api.choices import KeyScope
from api.keys import key_generate, key_hash
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from tests.accounts.factories import ExporterOrganisationFactory, member_of


class ApiKeyFactory(DjangoModelFactory):
    """A write key of an exporter organisation, made by a new admin. The full key text, which
    ``api_key_create`` hands back once, is on the created row as ``.key``."""

    class Meta:
        model = ApiKey

    organisation = factory.SubFactory(ExporterOrganisationFactory)
    created_by = factory.LazyAttribute(lambda o: member_of(o.organisation))
    name = factory.Sequence(lambda n: f"Key {n}")
    scope = KeyScope.WRITE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        prefix, key = key_generate()
        api_key = super()._create(model_class, *args, prefix=prefix, hashed_key=key_hash(key), **kwargs)
        api_key.key = key
        return api_key


class WebhookEndpointFactory(DjangoModelFactory):
    """An active endpoint of an exporter organisation for every event, made by a new admin."""

    class Meta:
        model = WebhookEndpoint

    organisation = factory.SubFactory(ExporterOrganisationFactory)
    created_by = factory.LazyAttribute(lambda o: member_of(o.organisation))
    url = "https://erp.example.com/hooks"
    secret = factory.LazyFunction(lambda: f"whsec_{secrets.token_urlsafe(32)}")
    events = factory.LazyFunction(list)


class WebhookDeliveryFactory(DjangoModelFactory):
    """A pending delivery, due now."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = "lease.requested"
    body = "{}"
    next_attempt_at = factory.LazyFunction(timezone.now)
