"""OpenAPI details drf-spectacular cannot see by itself: the API-key scheme, public reads,
and the error responses every operation documents."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from .serializers.common import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `code` is `invalid` (with `fields`) or a domain code such as `invalid_dates`.",
    401: "No or an invalid API key / session.",
    402: "The payment was declined (`payment_declined`).",
    403: "Not allowed: a read-only key writing, or a step that is the other side's to take.",
    404: "Not found, or not visible to your organisation.",
    409: "The object's state does not allow this (e.g. `invalid_transition`, `capacity_unavailable`).",
    422: "`idempotency_key_reused`: this Idempotency-Key was sent with a different request.",
    429: "Rate limited (`throttled`); see Retry-After.",
    503: "The payment processor did not answer (`gateway_unavailable`); retry with the same Idempotency-Key.",
}
READ = (401, 403, 429)
WRITE = (400, 401, 403, 404, 409, 422, 429)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class AutoSchema(openapi.AutoSchema):
    def get_auth(self) -> list[Any]:
        auths = super().get_auth()
        public = any(getattr(p, "public_read", False) for p in self.view.get_permissions())
        if public and self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>`, a key created by an organisation admin.",
        }
