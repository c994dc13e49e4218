from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views

from . import metrics, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("internal/metrics", metrics.metrics, name="metrics"),  # 404 unless PROMETHEUS_METRICS, trusted networks only
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/", include("allauth.urls")),
    path("language/", accounts_views.language_set, name="language_set"),
    path("settings/", accounts_views.preferences, name="preferences"),
    path("organisations/", include("accounts.urls")),
    path("staff/", include("trust.staff_urls")),
    path("staff/inventory/", include("inventory.staff_urls")),
    path("", include("warehouses.urls")),
    path("", include("leasing.urls")),
    path("", include("trust.urls")),
    path("inventory/", include("inventory.urls")),
    path("escrow/", include("escrow.urls")),
    path("notifications/", include("notifications.urls")),
    path("documents/", include("documents.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("integrations/", include("api.page_urls")),
]
handler500 = "marketplace.views.server_error"  # 503 while the database or Redis is unreachable
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
