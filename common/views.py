from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.middleware import current_organisation


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


def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each person to the dashboard for what their organisation does."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    organisation = current_organisation(request)
    if organisation is None:
        return redirect("staff:console" if request.user.is_staff else "accounts:organisation_create")
    return redirect("leasing:owner_dashboard" if organisation.is_owner else "leasing:exporter_dashboard")
