"""The Django admin, closed to staff who have not switched on two-factor authentication."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class WareshareAdminSite(admin.AdminSite):
    site_header = "Wareshare administration"
    site_title = "Wareshare admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_mfa_enabled(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_authenticated and request.user.is_staff:
            return redirect("mfa_activate_totp")
        return redirect(f"/accounts/login/?next={request.get_full_path()}")
