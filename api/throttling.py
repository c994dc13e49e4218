"""Rate limits per API key, per signed-in user, or per address for anonymous reads.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``api_key``, ``user``,
``anon``), read on every request so that a settings override takes effect at once."""

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class ApiRateThrottle(SimpleRateThrottle):
    scope = "anon"
    ident = ""

    def __init__(self) -> None:  # the rate depends on the request: chosen in allow_request
        self.rate = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            self.scope, ident = "api_key", f"key-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "user", f"user-{request.user.pk}"
        else:
            self.scope, ident = "anon", f"ip-{self.get_ident(request)}"
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.ident = ident
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        return f"api-throttle:{self.scope}:{self.ident}"
