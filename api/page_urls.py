"""``/integrations/``: organisation admins manage API keys and webhook endpoints."""

from django.urls import path

from . import pages

app_name = "integrations"
urlpatterns = [
    path("keys/", pages.api_keys, name="api_keys"),
    path("keys/<int:pk>/revoke/", pages.api_key_revoke, name="api_key_revoke"),
    path("webhooks/", pages.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", pages.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/disable/", pages.webhook_disable, name="webhook_disable"),
]
