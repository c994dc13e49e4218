"""/readyz: database, Redis (when configured) and migrations; 503 naming the failed check."""

import pytest
import redis
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db


def test_ready_when_the_database_answers_and_every_migration_is_applied(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "skipped", "migrations": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_not_ready_while_a_migration_is_unapplied(client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("a migration", False)])

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["migrations"] == "error"
    assert response.json()["database"] == "ok"


def test_not_ready_when_the_database_fails(client, monkeypatch):
    from marketplace import views

    def broken() -> str:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(views, "_check_database", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"


def test_redis_is_checked_when_configured(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    pinged = []
    monkeypatch.setattr(redis.Redis, "ping", lambda self: pinged.append(self) or True)

    assert client.get("/readyz").json()["redis"] == "ok"
    assert len(pinged) == 1


def test_not_ready_when_redis_does_not_answer(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"

    def refuse(self: redis.Redis) -> bool:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(redis.Redis, "ping", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["redis"] == "error"
