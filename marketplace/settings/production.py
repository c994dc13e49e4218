"""Production: PostgreSQL, SMTP, Redis, Celery, secrets from the environment.

Refuses to start without its secrets, naming each one that is missing. Every value comes from
``env.py``; `DJANGO_SETTINGS_MODULE=marketplace.settings.production manage.py check --deploy`
is clean (tests/ops/test_settings.py).
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from common.telemetry import sentry_init

from . import env as e
from .base import *  # noqa: F403
from .base import DATABASES, LOCAL_CACHE, MIDDLEWARE


def _missing_settings() -> list[str]:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", e.SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", e.ALLOWED_HOSTS),
            ("DATABASE_URL", e.DATABASE_URL_GIVEN),
            ("EMAIL_URL", e.EMAIL_URL),
        )
        if not value
    ]
    if e.STRIPE_SECRET_KEY:  # the Stripe gateway is chosen: it needs all three keys
        missing += [
            f"{name} (STRIPE_SECRET_KEY is set)"
            for name, value in (
                ("STRIPE_PUBLISHABLE_KEY", e.STRIPE_PUBLISHABLE_KEY),
                ("STRIPE_WEBHOOK_SECRET", e.STRIPE_WEBHOOK_SECRET),
            )
            if not value
        ]
    return missing


if _missing := _missing_settings():
    raise ImproperlyConfigured("Production settings need these environment variables: " + ", ".join(_missing))

DEBUG = False
SECRET_KEY = e.SECRET_KEY
ALLOWED_HOSTS = e.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = e.CSRF_TRUSTED_ORIGINS  # other origins allowed to POST (same origin always is)

# --- Database: persistent connections, checked before reuse (a restarted primary is not an error).
for _alias in DATABASES:  # "default", and "replica" when DATABASE_REPLICA_URL is set
    DATABASES[_alias]["CONN_MAX_AGE"] = e.CONN_MAX_AGE
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True

# --- Email.
_email = e.env.email_url_config(e.EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
SERVER_EMAIL = e.DEFAULT_FROM_EMAIL

# --- HTTPS behind a proxy that sets X-Forwarded-Proto (and strips it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = e.SECURE_SSL_REDIRECT
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^internal/metrics$"]  # probes and scrapes speak plain HTTP
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
# nosniff, Referrer-Policy, X-Frame-Options, CSP and Permissions-Policy: base.py, every environment.
ALLAUTH_TRUSTED_PROXY_COUNT = e.TRUSTED_PROXY_COUNT  # rate limits count the client, not the proxy

# --- Static files (whitenoise, compressed and hashed at collectstatic) and media.
STATIC_ROOT = e.STATIC_ROOT
_media: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if e.AWS_STORAGE_BUCKET_NAME:
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": e.AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": e.AWS_S3_ENDPOINT_URL or None,
            "region_name": e.AWS_S3_REGION_NAME or None,
            "custom_domain": e.AWS_S3_CUSTOM_DOMAIN or None,
            "access_key": e.AWS_ACCESS_KEY_ID or None,
            "secret_key": e.AWS_SECRET_ACCESS_KEY or None,
            "default_acl": None,  # private bucket; files are served through signed URLs
            "querystring_auth": not e.AWS_S3_CUSTOM_DOMAIN,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _media,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Cache (rate limits, TOTP replay guards) shared by every web process when Redis is configured.
REDIS_URL = e.REDIS_URL
if REDIS_URL:
    _redis_cache: dict[str, Any] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "wareshare",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    CACHES = {"default": _redis_cache, "local": LOCAL_CACHE}

# --- Celery: queued to Redis when CELERY_BROKER_URL is set (base.py makes it eager otherwise).
CELERY_RESULT_BACKEND = e.CELERY_RESULT_BACKEND or None

# --- Structured JSON logs with the request id (common.middleware / common.logging).
MIDDLEWARE = ["common.middleware.RequestIdMiddleware", *MIDDLEWARE]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "common.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": e.LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}

# --- Error reporting: Sentry when SENTRY_DSN is set, every event scrubbed first (common/telemetry.py).
# Celery workers and beat load these settings too, so their errors are reported the same way.
sentry_init(dsn=e.SENTRY_DSN, environment=e.SENTRY_ENVIRONMENT, traces_sample_rate=e.SENTRY_TRACES_SAMPLE_RATE)
