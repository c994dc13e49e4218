"""Production settings: clean `check --deploy`, and a clear refusal to start without a secret."""

import json

import pytest

from .prod import run, settings_values


def test_check_deploy_gives_no_warnings_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL"])
def test_a_missing_secret_stops_startup_and_is_named(missing):
    result = run(["manage.py", "check"], **{missing: None})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert missing in message
    assert [name for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL") if name in message] == (
        [missing] if missing != "DJANGO_ALLOWED_HOSTS" else []
    )


def test_stripe_needs_all_its_keys_once_chosen():
    result = run(["manage.py", "check"], STRIPE_SECRET_KEY="sk_test_dummy")

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "STRIPE_PUBLISHABLE_KEY" in message
    assert "STRIPE_WEBHOOK_SECRET" in message

    complete = run(
        ["manage.py", "check"],
        STRIPE_SECRET_KEY="sk_test_dummy",
        STRIPE_PUBLISHABLE_KEY="pk_test_dummy",
        STRIPE_WEBHOOK_SECRET="whsec_dummy",
    )
    assert complete.returncode == 0, complete.stderr


def test_production_hardening_is_on():
    values = settings_values(
        [
            "DEBUG",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_PROXY_SSL_HEADER",
            "STORAGES",
            "DATABASES",
            "MIDDLEWARE",
            "CACHES",
            "CELERY_TASK_ALWAYS_EAGER",
        ]
    )

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert values["MIDDLEWARE"][0] == "common.middleware.RequestIdMiddleware"
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")  # no REDIS_URL given
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True  # no broker: in process


def test_redis_broker_and_s3_media_come_from_the_environment():
    values = settings_values(
        ["CACHES", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "STORAGES"],
        REDIS_URL="redis://cache.invalid:6379/0",
        CELERY_BROKER_URL="redis://broker.invalid:6379/1",
        AWS_STORAGE_BUCKET_NAME="wareshare-media",
        AWS_S3_ENDPOINT_URL="https://s3.example.invalid",
    )

    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.invalid:6379/0"
    assert values["CELERY_BROKER_URL"] == "redis://broker.invalid:6379/1"
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.invalid:6379/0"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    media = values["STORAGES"]["default"]
    assert media["BACKEND"] == "storages.backends.s3.S3Storage"
    assert media["OPTIONS"]["bucket_name"] == "wareshare-media"
    assert media["OPTIONS"]["endpoint_url"] == "https://s3.example.invalid"


_GUNICORN_CONFIG = (
    "import json, sys; sys.argv = ['gunicorn', '-c', 'gunicorn.conf.py']; "
    "from gunicorn.app.wsgiapp import WSGIApplication; cfg = WSGIApplication().cfg; "
    "print(json.dumps({'disabled': cfg.control_socket_disable, 'path': cfg.control_socket}))"
)


def test_gunicorn_opens_no_shared_control_socket():
    """gunicorn's default control socket is one path per user: two servers on a host would share it."""
    default = run(["-c", _GUNICORN_CONFIG])
    own = run(["-c", _GUNICORN_CONFIG], GUNICORN_CONTROL_SOCKET="/run/wareshare/web-1.ctl")

    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout.splitlines()[-1])["disabled"] is True
    assert json.loads(own.stdout.splitlines()[-1]) == {"disabled": False, "path": "/run/wareshare/web-1.ctl"}
