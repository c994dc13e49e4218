"""API test helpers: organisations with keys, clients that send them."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from api.choices import KeyScope
from api.services import api_key_create
from tests.accounts.factories import member_of
from tests.leasing.factories import Parties


def key_for(organisation: Organisation, *, scope: str = KeyScope.WRITE, user: User | None = None) -> str:
    """A new API key of ``organisation`` (created by ``user`` or a new admin)."""
    by = user or member_of(organisation)
    _, key = api_key_create(organisation=organisation, by=by, name=f"{scope} key", scope=scope)
    return key


def client_with(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def parties(db) -> Parties:
    return Parties()


@pytest.fixture
def owner_api(parties) -> APIClient:
    return client_with(key_for(parties.owner_org, user=parties.owner))


@pytest.fixture
def exporter_api(parties) -> APIClient:
    return client_with(key_for(parties.exporter_org, user=parties.exporter))
