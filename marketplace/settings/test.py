"""The test suite: locmem email, fast hashing, the database from DATABASE_URL (SQLite by default)."""

from . import security
from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"].pop("OPTIONS", None)
STRIPE_SECRET_KEY = ""
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The policies follow STRIPE_SECRET_KEY above, not a developer's .env.
STRIPE_JS = False
CONTENT_SECURITY_POLICY = security.content_security_policy(stripe=False, media=[])
PERMISSIONS_POLICY = security.permissions_policy(stripe=False)
