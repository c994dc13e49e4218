"""Settings shared by every environment. Values that vary come from ``env.py``."""

from decimal import Decimal

from django.contrib.messages import constants as message_constants

from . import env as e
from . import security

BASE_DIR = e.BASE_DIR
SECRET_KEY = e.SECRET_KEY
DEBUG = e.DEBUG
ALLOWED_HOSTS = e.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = e.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "marketplace.apps.WareshareAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_countries",
    "csp",  # django-csp: its system checks
    "common",
    "accounts",
    "warehouses",
    "leasing",
    "escrow",
    "trust",
    "notifications",
    "inventory",
    "documents",
    "demo",  # seed_demo: composes every app's demo data (project level, not a layer)
]

MIDDLEWARE = [
    # First, so the whole request is covered: unsafe methods and requests that wrote read from the primary.
    "common.middleware.PrimaryPinMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Security headers on every page (after whitenoise: static files need none); see "Security headers".
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language (or the language cookie) first; a signed-in user's saved
    # choice overrides it in accounts.middleware.UserLocaleMiddleware, after authentication.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.CurrentOrganisationMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.organisation",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": e.env.db_url_config(e.DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo's sweep loop and web server share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# The read replica (optional): search and the listing page read from it, everything else from the
# primary, with a fallback to the primary when it is down or too far behind (common/db_router.py).
DATABASE_ROUTERS = ["common.db_router.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG = e.DATABASE_REPLICA_MAX_LAG
if e.DATABASE_REPLICA_URL:
    DATABASES["replica"] = e.env.db_url_config(e.DATABASE_REPLICA_URL)
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    # A replica that does not answer must not hang the search: give up connecting after 3 s.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # Test databases: the alias reads the test database of "default" (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats per language (marketplace/formats/<lang>/formats.py) before Django's.
FORMAT_MODULE_PATH = ["marketplace.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = e.MEDIA_ROOT
PRIVATE_MEDIA_ROOT = e.PRIVATE_MEDIA_ROOT  # trust/storage.py: documents and evidence, never served
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
MESSAGE_TAGS = {message_constants.ERROR: "error"}

# --- allauth: email is the login, verification mandatory, TOTP for everyone, required for staff.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Wareshare] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Wareshare"

DEFAULT_FROM_EMAIL = e.DEFAULT_FROM_EMAIL
SITE_URL = e.SITE_URL

# "local": this process's memory, for rendered fragments that must never fail a page when Redis is
# down (the search's filter form); production points "default" at Redis and keeps "local".
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "wareshare-local"}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "local": LOCAL_CACHE}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Wareshare business rules.
WARESHARE = {
    "PLATFORM_FEE_PERCENT": Decimal(e.PLATFORM_FEE_PERCENT),
    "HOLD_HOURS": e.HOLD_HOURS,
    "PAYMENT_HOURS": e.PAYMENT_HOURS,
    "CONFIRMATION_HOURS": e.CONFIRMATION_HOURS,
    "CHECKIN_TOLERANCE_PERCENT": Decimal(e.CHECKIN_TOLERANCE_PERCENT),
    "CALENDAR_DAYS": e.CALENDAR_DAYS,
    "TRANSFER_FEE_PERCENT": e.TRANSFER_FEE_PERCENT,
}
STRIPE_SECRET_KEY = e.STRIPE_SECRET_KEY
STRIPE_PUBLISHABLE_KEY = e.STRIPE_PUBLISHABLE_KEY
STRIPE_WEBHOOK_SECRET = e.STRIPE_WEBHOOK_SECRET
# Where the platform's Stripe account is: decides each owner's service agreement (escrow/payout_countries.py).
WARESHARE_PLATFORM_COUNTRY = e.PLATFORM_COUNTRY
CELERY_BROKER_URL = e.CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = not e.CELERY_BROKER_URL
WARESHARE_SWEEP_INTERVALS: dict[str, int] = e.SWEEP_INTERVALS  # overrides marketplace/celery.py's, per sweep
WARESHARE_DRILL_DIR = e.DRILL_DIR  # fault drill only: common/drill.py
SIMULATED_GATEWAY_RECORD = e.SIMULATED_GATEWAY_RECORD  # every simulated money movement kept in the database

# Idempotent time-driven services, run by `manage.py run_sweeps` (demo) or Celery beat.
WARESHARE_SWEEPS: list[str] = [
    "warehouses.services.calendar_extend_all",
    "leasing.services.leases_expire_holds",
    "leasing.services.leases_expire_unpaid",
    "leasing.services.leases_fund_paid",
    "leasing.services.leases_auto_confirm",
    "leasing.services.leases_charge_due",
    "leasing.services.leases_shorten_unpaid",
    "leasing.services.leases_release_due",
    "leasing.transfers.transfers_lapse_due",
    "leasing.services.leases_complete",
    "escrow.processor.payouts_retry",
    "escrow.processor.refunds_retry",
    "escrow.chargebacks.chargebacks_recover",
    "escrow.reconcile.escrow_reconcile_sweep",
    "trust.services.blacklist_expire_due",
    "trust.rating.ratings_recompute_all",
    "documents.services.statements_issue_due",
    "inventory.lifecycle.lease_end_remind",  # goods remain: both sides reminded once before the end
]

# --- Documents (documents/, docs/money.md "Documents"): receipts, fee invoices, payout statements. ---
# The tax included in the platform fee, in percent: printed on fee invoices ("0 %" by default;
# nothing guesses a country's VAT). The platform's own details head every document.
WARESHARE_FEE_TAX_PERCENT = e.FEE_TAX_PERCENT
WARESHARE_PLATFORM_LEGAL_NAME = e.PLATFORM_LEGAL_NAME
WARESHARE_PLATFORM_REGISTRATION_NUMBER = e.PLATFORM_REGISTRATION_NUMBER
WARESHARE_PLATFORM_VAT_NUMBER = e.PLATFORM_VAT_NUMBER  # its country: WARESHARE_PLATFORM_COUNTRY above
# The embedded PDF font: Debian's fonts-wqy-zenhei (scripts/install_pdf_tools.sh), Latin and Chinese.
WARESHARE_PDF_FONT = e.PDF_FONT

# --- REST API v1 (api/): DRF, the OpenAPI schema, outbound webhooks. -------------------------
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsOrganisationMember"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": e.API_RATE_KEY, "user": e.API_RATE_USER, "anon": e.API_RATE_ANON},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wareshare API",
    "DESCRIPTION": "Search, book and track warehouse space. See docs/api.md for auth, errors and webhooks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LeaseStateEnum": "leasing.choices.LeaseState",
        "ShipmentStatusEnum": "leasing.choices.ShipmentStatus",
        "ListingStatusEnum": "warehouses.choices.ListingStatus",
        "DisputeStateEnum": "trust.choices.DisputeState",
        "TransferStateEnum": "leasing.choices.TransferState",
        "ActionsEnum": "leasing.rules.LEASE_ACTIONS",
        "TransferActionEnum": "leasing.rules.TRANSFER_ACTIONS",
        "DocumentKindEnum": "documents.choices.DocumentKind",
        "KindEnum": "trust.choices.DisputeKind",  # its name before other "kind" fields came
        "MovementKindEnum": "inventory.choices.MovementKind",
        "OrderKindEnum": "inventory.choices.OrderKind",
        "OrderStatusEnum": "inventory.choices.OrderStatus",
        "OrderActionEnum": "api.serializers.inventory.ORDER_STEPS",
        "AdjustmentKindEnum": "api.serializers.inventory.ADJUSTMENT_CHOICES",
        "CountryEnum": "api.serializers.inventory.COUNTRY_CHOICES",
        "PayoutStatusEnum": "escrow.choices.PayoutStatus",
        "PayoutRailEnum": "escrow.choices.PayoutRail",
    },
    # The shared headers and 4xx of every operation (api/schema.py), after the default enum hook.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.contract"],
}
# Outbound webhooks: https only unless DEBUG or this is set (tests deliver to 127.0.0.1).
WARESHARE_WEBHOOKS_ALLOW_HTTP = False
WARESHARE_SWEEPS += ["api.webhooks.deliveries_send", "api.idempotency.idempotency_records_purge"]

# --- Security headers (docs/deploy.md, "Security headers"). ------------------------------------
# The checkout loads Stripe.js only with the Stripe gateway on and a publishable key
# (leasing/views/payments.py): Stripe's hosts are in the policies only then.
STRIPE_JS = bool(STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY)
MEDIA_ORIGINS = security.media_origins(
    bucket=e.AWS_STORAGE_BUCKET_NAME,
    endpoint_url=e.AWS_S3_ENDPOINT_URL,
    custom_domain=e.AWS_S3_CUSTOM_DOMAIN,
    region=e.AWS_S3_REGION_NAME,
)
CONTENT_SECURITY_POLICY = security.content_security_policy(stripe=STRIPE_JS, media=MEDIA_ORIGINS)
PERMISSIONS_POLICY = security.permissions_policy(stripe=STRIPE_JS)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Telemetry: Prometheus metrics at /internal/metrics, off unless PROMETHEUS_METRICS is true
# (marketplace/metrics.py; docs/deploy.md "Telemetry"). django-prometheus times every request and
# query; common/metrics.py counts Celery tasks; the business gauges are computed at each scrape.
PROMETHEUS_METRICS = e.PROMETHEUS_METRICS
PROMETHEUS_ALLOWED_NETWORKS = e.PROMETHEUS_ALLOWED_NETWORKS
PROMETHEUS_MULTIPROC_DIR = e.PROMETHEUS_MULTIPROC_DIR
PROMETHEUS_WORKER_PORT = e.PROMETHEUS_WORKER_PORT
PROMETHEUS_WORKER_ADDR = e.PROMETHEUS_WORKER_ADDR
TRUSTED_PROXY_COUNT = e.TRUSTED_PROXY_COUNT  # who the client is: common.net.client_ip
if PROMETHEUS_METRICS:
    INSTALLED_APPS += ["django_prometheus"]
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    _instrumented = {
        "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
        "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    }
    DATABASES["default"]["ENGINE"] = _instrumented.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
