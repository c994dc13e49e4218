"""Project-level pages: the landing page, health and readiness probes, the dashboard redirect,
and the 500 handler that answers 503 while the database or Redis is unreachable."""

import logging
import sys

import redis
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

from accounts.middleware import current_organisation

logger = logging.getLogger(__name__)


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "common/landing.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness with a database check: 200 when a query succeeds, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return JsonResponse({"status": "error", "database": str(error) or "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    """Every Redis the deployment uses (cache, broker), or "skipped" when none is configured."""
    urls = {getattr(settings, "REDIS_URL", ""), settings.CELERY_BROKER_URL} - {""}
    urls = {url for url in urls if url.startswith(("redis://", "rediss://", "unix://"))}
    if not urls:
        return "skipped"
    for url in sorted(urls):
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    return "ok"


def _check_migrations() -> str:
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise RuntimeError(f"{len(unapplied)} unapplied migration(s)")
    return "ok"


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers, Redis answers (when configured), every migration is
    applied. 200 when all pass, 503 naming the failed check otherwise; details go to the log."""
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("migrations", _check_migrations)):
        try:
            checks[name] = check()
        except (DatabaseError, redis.RedisError, OSError, RuntimeError) as error:
            logger.warning("readyz: %s check failed: %s", name, error)
            checks[name] = "error"
    ok = all(value in ("ok", "skipped") for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each person to the dashboard for what their organisation does."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    organisation = current_organisation(request)
    if organisation is None:
        return redirect("staff:console" if request.user.is_staff else "accounts:organisation_create")
    return redirect("leasing:owner_dashboard" if organisation.is_owner else "leasing:exporter_dashboard")


# A store we depend on is unreachable (PostgreSQL restarting, Redis down): nothing was half-written
# (each step is one transaction), so the answer is "try again shortly", not a crash.
UNAVAILABLE = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)
RETRY_AFTER_SECONDS = 10


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a 503 (JSON ``{"code": "unavailable", "detail"}`` under /api/, a short page
    otherwise) when the exception is a lost database or Redis connection; Django's 500 page else.
    Renders without the request's context processors: they would query the database."""
    if not isinstance(sys.exc_info()[1], UNAVAILABLE):
        return django_server_error(request)
    detail = gettext("Wareshare is briefly unavailable. Nothing was changed: please try again in a minute.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "unavailable", "detail": detail}, status=503)
    else:
        response = HttpResponseServerError(loader.get_template("503.html").render({"detail": detail}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
