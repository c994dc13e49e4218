"""Benchmark settings: the test settings on the DATABASE_URL database, with a URLconf that adds
a floor view (one primary-key query) next to the project's own URLs. DEBUG stays off so the
ORM does not record queries and templates are rendered as in production."""

from marketplace.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The benchmark is about the search, not about request logging.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Production keeps connections open (CONN_MAX_AGE=60); the benchmark's in-process client does too.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
