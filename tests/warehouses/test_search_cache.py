"""The search's country choices: cached per language, and loaded afresh when the cache is down."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.warehouses.factories import ListingFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def test_country_names_follow_the_readers_language_through_one_cache(client):
    ListingFactory()  # a warehouse in the Netherlands
    assert "Netherlands" in client.get("/search/").content.decode()
    chinese = client.get("/search/", **ZH).content.decode()
    assert "荷兰" in chinese
    assert ">Netherlands<" not in chinese


def test_search_answers_when_the_cache_is_unreachable(client, monkeypatch, caplog):
    ListingFactory()

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr("django.core.cache.cache.get", down)
    monkeypatch.setattr("django.core.cache.cache.set", down)
    response = client.get("/search/")
    assert response.status_code == 200
    assert "Netherlands" in response.content.decode()
    assert "cache unreachable" in caplog.text
