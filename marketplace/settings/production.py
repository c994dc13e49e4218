"""Production: PostgreSQL, SMTP, secrets from the environment; refuses to start without them."""

from django.core.exceptions import ImproperlyConfigured

from . import env as e
from .base import *  # noqa: F403
from .base import DATABASES

_missing = [
    name
    for name, value in (
        ("DJANGO_SECRET_KEY", e.SECRET_KEY),
        ("DJANGO_ALLOWED_HOSTS", e.ALLOWED_HOSTS),
        ("DATABASE_URL", e.env.str("DATABASE_URL", default="")),
        ("EMAIL_URL", e.EMAIL_URL),
    )
    if not value
]
if e.STRIPE_SECRET_KEY and not (e.STRIPE_PUBLISHABLE_KEY and e.STRIPE_WEBHOOK_SECRET):
    _missing.append("STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (STRIPE_SECRET_KEY is set)")
if _missing:
    raise ImproperlyConfigured("Production settings need: " + ", ".join(_missing))

DEBUG = False
SECRET_KEY = e.SECRET_KEY
ALLOWED_HOSTS = e.ALLOWED_HOSTS
_email = e.env.email_url_config(e.EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
