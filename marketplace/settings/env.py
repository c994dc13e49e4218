"""Every environment variable Wareshare reads, in one place.

Other settings modules import names from here; nothing else calls ``os.environ``.
The defaults are the embedded demo setup (SQLite, console email, simulated gateway).
"""

from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Wareshare <no-reply@wareshare.test>")
EMAIL_URL = env.str("EMAIL_URL", default="")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# Payments: the Stripe gateway is used when a secret key is set, the simulated one otherwise.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# Background work: Celery with Redis in production; the embedded runner otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")

# Business rules (all overridable per deployment).
PLATFORM_FEE_PERCENT = Decimal(env.str("WARESHARE_PLATFORM_FEE_PERCENT", default="5.00"))
HOLD_HOURS = env.int("WARESHARE_HOLD_HOURS", default=24)
PAYMENT_HOURS = env.int("WARESHARE_PAYMENT_HOURS", default=48)
CONFIRMATION_HOURS = env.int("WARESHARE_CONFIRMATION_HOURS", default=48)
CHECKIN_TOLERANCE_PERCENT = Decimal(env.str("WARESHARE_CHECKIN_TOLERANCE_PERCENT", default="2.00"))
CALENDAR_DAYS = env.int("WARESHARE_CALENDAR_DAYS", default=365)
