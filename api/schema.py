"""OpenAPI details drf-spectacular cannot see by itself: the API-key scheme, public reads, and
``contract`` (a postprocessing hook): the headers and error responses every operation shares.

The hook is what keeps the schema a contract for every operation, new ones included: each
operation documents every 4xx the shared machinery can answer (authentication, permissions,
throttling, validation, idempotency, pagination, unknown objects), whatever its view declared, and
every write takes the ``Idempotency-Key`` header with the length the server enforces. A view
declares only what is its own (``errors(402, 503)`` on a payment)."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import KEY_MAX_LENGTH, REPLAYED_HEADER
from .serializers.common import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `code` is `invalid` (with `fields`) or a domain code such as `invalid_dates`.",
    401: "No or an invalid API key / session.",
    402: "The payment was declined (`payment_declined`).",
    403: "Not allowed: a read-only key writing, or a step that is the other side's to take.",
    404: "Not found, or not visible to your organisation; on a list, a `cursor` that names no page (`invalid_cursor`).",
    409: "The object's state does not allow this (e.g. `invalid_transition`, `capacity_unavailable`), or a request "
    "with this Idempotency-Key is still running (`idempotency_in_progress`).",
    422: "`idempotency_key_reused`: this Idempotency-Key was sent with a different request.",
    429: "Rate limited (`throttled`); see Retry-After.",
    503: "The payment processor did not answer (`gateway_unavailable`); retry with the same Idempotency-Key.",
}
READ = (401, 403, 429)
WRITE = (400, 401, 403, 404, 409, 422, 429)
WRITE_METHODS = ("post", "put", "patch", "delete")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# What an uploaded file is served as: its real type, checked from its bytes at upload.
DOWNLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/gif")


def download_responses(description: str) -> dict[tuple[int, str], OpenApiResponse]:
    """A 200 with the file's bytes, under each type an upload may have."""
    return {(200, kind): OpenApiResponse(OpenApiTypes.BINARY, description=description) for kind in DOWNLOAD_TYPES}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The decimal strings ``field`` accepts: no sign when it takes no negative value, at least one digit
    (drf-spectacular's own pattern also matches ``""`` and ``"-"``), at most its whole and decimal digits."""
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    whole, places = field.max_whole_digits, field.decimal_places
    if whole == 0:
        return rf"^{sign}0?\.\d{{1,{places}}}$"
    if not places:
        return rf"^{sign}\d{{1,{whole}}}$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


# What a DRF CharField takes: no NUL (its validator; it refuses lone surrogates too, which JSON Schema
# cannot say and generators do not make), and, unless it may be blank,
# something left after it strips surrounding whitespace (Python's str.isspace, hence the extra characters).
TEXT_CHARACTER = r"[^\u0000]"
TEXT_NOT_SPACE = r"[^\s\u0000\u001c-\u001f\u0085]"


def text_pattern(field: serializers.CharField) -> str:
    if field.allow_blank or not field.trim_whitespace:
        return rf"^{TEXT_CHARACTER}*$"
    return rf"^{TEXT_CHARACTER}*{TEXT_NOT_SPACE}{TEXT_CHARACTER}*$"


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        """drf-spectacular's mapping, with the limits it leaves out and the server enforces."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            if field.min_length is not None or not field.allow_empty:
                schema["minItems"] = max(field.min_length or 0, 0 if field.allow_empty else 1)
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        if (
            direction == "request"
            and type(field) is serializers.CharField
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = text_pattern(field)
        if isinstance(field, serializers.DecimalField) and "pattern" in schema and field.max_whole_digits is not None:
            schema["pattern"] = decimal_pattern(field)
        return schema

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


# --- The contract hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) ----------------------------

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
    "description": "Send a unique key (1 to 255 characters; a UUID is a good choice) to make a retry of this "
    "write return the first answer.",
}
RESPONSE_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "required": True,
            "schema": {"type": "string"},
            "description": "`Api-Key`: how to authenticate.",
        }
    },
    429: {
        "Retry-After": {
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before retrying.",
        }
    },
}
REPLAYED = {
    REPLAYED_HEADER: {
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    }
}


def _statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The 4xx the shared machinery can answer for this operation."""
    parameters = operation.get("parameters", [])
    statuses = [401, 403, 429]  # any request may carry a bad key; a key may be read-only; every caller is throttled
    if method in WRITE_METHODS or parameters or "requestBody" in operation:
        statuses.append(400)  # validation of the body, the query or a header (code `invalid`, with `fields`)
    paged = any(parameter["name"] == "cursor" and parameter["in"] == "query" for parameter in parameters)
    if paged or any(parameter["in"] == "path" for parameter in parameters):
        statuses.append(404)  # an object not visible to the caller, or a cursor that names no page
    if method in WRITE_METHODS:
        statuses += [404, 409, 422]  # the object; the state, or a running retry; a reused Idempotency-Key
    return sorted(set(statuses))


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": ERROR_DESCRIPTIONS[status],
    }
    if status in RESPONSE_HEADERS:
        response["headers"] = RESPONSE_HEADERS[status]
    return response


def _contract_operation(method: str, operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if (
            parameter["in"] == "query"
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = rf"^{TEXT_CHARACTER}*$"  # Django's form fields refuse NUL in a query too
    if method in WRITE_METHODS:
        # Every write is wrapped in @idempotent: the header is accepted everywhere, with the server's limits.
        parameters[:] = [p for p in parameters if not (p["in"] == "header" and p["name"] == IDEMPOTENCY_HEADER)]
        parameters.insert(0, IDEMPOTENCY_PARAMETER)
    if not parameters:
        del operation["parameters"]
    responses = operation.setdefault("responses", {})
    for status in _statuses(method, operation):
        responses.setdefault(str(status), _error_response(status))
    for status, headers in RESPONSE_HEADERS.items():
        if str(status) in responses:
            responses[str(status)].setdefault("headers", headers)
    if method in WRITE_METHODS:
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {}).update(REPLAYED)
    operation["responses"] = dict(sorted(responses.items()))


def contract(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: the shared headers and error responses on every operation under /api/v1/."""
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                _contract_operation(method, operation)
    return result
