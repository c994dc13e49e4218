"""Every environment variable Wareshare reads, in one place.

Other settings modules import names from here; nothing else calls ``os.environ``.
The defaults are the embedded demo setup (SQLite, console email, simulated gateway).
"""

import ipaddress
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
DATABASE_URL_GIVEN = bool(env.str("DATABASE_URL", default=""))  # production refuses the SQLite default
# A streaming replica of DATABASE_URL: search and the listing page read from it (common/db_router.py).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# Seconds the replica may be behind before those reads go to the primary (0: no limit).
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=30.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Wareshare <no-reply@wareshare.test>")
EMAIL_URL = env.str("EMAIL_URL", default="")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# KYC documents and dispute evidence: outside MEDIA_ROOT, never served as /media/ (trust/storage.py).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")

# Documents (docs/money.md "Documents"): the platform's details and the tax in its fee.
FEE_TAX_PERCENT = Decimal(env.str("WARESHARE_FEE_TAX_PERCENT", default="0"))
PLATFORM_LEGAL_NAME = env.str("WARESHARE_PLATFORM_LEGAL_NAME", default="Wareshare")
PLATFORM_REGISTRATION_NUMBER = env.str("WARESHARE_PLATFORM_REGISTRATION_NUMBER", default="")
PLATFORM_VAT_NUMBER = env.str("WARESHARE_PLATFORM_VAT_NUMBER", default="")
PDF_FONT = env.str("WARESHARE_PDF_FONT", default="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

# Payments: the Stripe gateway is used when a secret key is set, the simulated one otherwise.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# Background work: Celery with Redis in production; the embedded runner otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")  # cache (and /readyz checks it) when set
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or CELERY_BROKER_URL)
# Beat's interval per sweep, overriding marketplace/celery.py's (``path=seconds,...``; the fault drill).
SWEEP_INTERVALS = {path: int(seconds) for path, seconds in env.dict("WARESHARE_SWEEP_INTERVALS", default={}).items()}

# Fault drill only (scripts/fault_drill.sh): a directory whose files arm test pauses (common/drill.py),
# and the simulated gateway recording each money movement in the database so processes can check it.
DRILL_DIR = env.str("WARESHARE_DRILL_DIR", default="")
SIMULATED_GATEWAY_RECORD = env.bool("WARESHARE_SIMULATED_GATEWAY_RECORD", default=False)

# Production serving (read by settings/production.py and gunicorn.conf.py).
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
CONN_MAX_AGE = env.int("DJANGO_CONN_MAX_AGE", default=60)
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)  # proxies that set X-Forwarded-For
GUNICORN_BIND = env.str("GUNICORN_BIND", default="127.0.0.1:8000")
GUNICORN_WORKERS = env.int("GUNICORN_WORKERS", default=2)
GUNICORN_THREADS = env.int("GUNICORN_THREADS", default=1)
GUNICORN_TIMEOUT = env.int("GUNICORN_TIMEOUT", default=30)
# gunicorn >= 25 opens a control socket (gunicornc) at one per-user path unless told otherwise: off
# by default, so two servers on one host never share it; a path of its own per server turns it on.
GUNICORN_CONTROL_SOCKET = env.str("GUNICORN_CONTROL_SOCKET", default="")

# Telemetry (docs/deploy.md "Telemetry"). Errors go to Sentry only when a DSN is set; every event is
# scrubbed first (common/telemetry.py). Prometheus metrics are off unless PROMETHEUS_METRICS is true,
# and then served at /internal/metrics to the networks listed (loopback and private ranges by default).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
PROMETHEUS_METRICS = env.bool("PROMETHEUS_METRICS", default=False)
PROMETHEUS_ALLOWED_NETWORKS = env.list(
    "PROMETHEUS_ALLOWED_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
for _network in PROMETHEUS_ALLOWED_NETWORKS:  # a typo stops startup, not every scrape
    ipaddress.ip_network(_network.strip(), strict=False)
# One directory per service (web, worker), emptied when it starts: several processes (gunicorn's
# workers, Celery's pool) write their metrics there and a scrape adds them up. prometheus_client reads
# this variable itself when it is imported; it is read here too so the settings can tell.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# A Celery worker has no HTTP server: with a port set it serves its task metrics there (plain HTTP).
PROMETHEUS_WORKER_PORT = env.int("PROMETHEUS_WORKER_PORT", default=0)
PROMETHEUS_WORKER_ADDR = env.str("PROMETHEUS_WORKER_ADDR", default="127.0.0.1")

# Media on S3-compatible storage (django-storages) when a bucket is named; local files otherwise.
# Without keys, boto3 uses the instance's role.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="")
AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="")
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="")

# Business rules (all overridable per deployment).
PLATFORM_FEE_PERCENT = Decimal(env.str("WARESHARE_PLATFORM_FEE_PERCENT", default="5.00"))
HOLD_HOURS = env.int("WARESHARE_HOLD_HOURS", default=24)
PAYMENT_HOURS = env.int("WARESHARE_PAYMENT_HOURS", default=48)
CONFIRMATION_HOURS = env.int("WARESHARE_CONFIRMATION_HOURS", default=48)
CHECKIN_TOLERANCE_PERCENT = Decimal(env.str("WARESHARE_CHECKIN_TOLERANCE_PERCENT", default="2.00"))
PLATFORM_COUNTRY = env.str("WARESHARE_PLATFORM_COUNTRY", default="NL").upper()
TRANSFER_FEE_PERCENT = Decimal(env.str("WARESHARE_TRANSFER_FEE_PERCENT", default="2.00"))
CALENDAR_DAYS = env.int("WARESHARE_CALENDAR_DAYS", default=365)
# API rate limits (DRF rates: N/s, N/min, N/hour): per API key, per signed-in user, per address for anonymous reads.
API_RATE_KEY = env.str("WARESHARE_API_RATE_KEY", default="600/min")
API_RATE_USER = env.str("WARESHARE_API_RATE_USER", default="600/min")
API_RATE_ANON = env.str("WARESHARE_API_RATE_ANON", default="120/min")
