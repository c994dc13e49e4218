"""Request ids: reuse a well-formed ``X-Request-ID`` from the proxy, or make one; log it, return it.
And the read replica's per-request pin to the primary (``PrimaryPinMiddleware``).

The id stays set until the response is closed (``request_finished``), not only while the view runs:
Django logs a 4xx/5xx response (``django.request``) after the whole middleware chain has returned.
"""

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from .db_router import request_scope
from .logging import request_id_var

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _forget_request_id(**kwargs: Any) -> None:
    request_id_var.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="common.middleware.forget_request_id")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)  # until request_finished: Django logs the response after we return
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class PrimaryPinMiddleware:
    """Unsafe methods (POST, PUT, PATCH, DELETE) read only from the primary, and so does the rest of
    any request once it has written (``common.db_router``); the pin ends with the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope(pinned=request.method not in SAFE_METHODS):
            return self.get_response(request)
