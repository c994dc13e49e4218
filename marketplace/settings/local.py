"""The embedded demo: SQLite, console email, simulated gateway, DEBUG on."""

from .base import *  # noqa: F403
from .env import SECRET_KEY as _SECRET_KEY

DEBUG = True
SECRET_KEY = _SECRET_KEY or "demo-only-not-secret-0d9f8a7c6b5e4d3c2b1a"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
