"""``Idempotency-Key`` on writes: a retry gets the first answer and changes nothing.

The record is reserved (a UNIQUE row per organisation, key and path) *before* the write runs, so
two concurrent requests with one key cannot both write: the second gets 409 until the first has
answered, then the stored answer. A different body under a used key is 422. Server errors (5xx)
are not stored, so the client may retry them with the same key (nor is an error echoing a NUL
character from the input, which PostgreSQL cannot store); the services' own idempotency
(e.g. ``lease_pay``'s payment attempt key) keeps such a retry from charging twice.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import IdempotencyInProgress, IdempotencyKeyReused
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255  # the column's length; the schema says the same (api.schema.contract)
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)
# PostgreSQL's jsonb cannot hold a NUL character. Only an error can echo one back from the input
# (``"\u0000…" is not a valid choice``; every text field refuses NUL), and it wrote nothing: such an
# answer is not kept, so a retry runs again and gets the same refusal.
NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # an escaped NUL, not the text "\u0000"

Handler = Callable[..., Response]


def _canonical(value: Any) -> Any:
    """JSON-able form of a request body: a multipart form keeps every value of a field, and an
    uploaded file counts by its bytes, so another file under the same key is another request."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # a QueryDict: every value of each field, not only the last
        return {key: [_canonical(item) for item in items] for key, items in value.lists()}
    return value


def _request_hash(request: Request) -> str:
    canonical = json.dumps(_canonical(request.data), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{canonical}".encode()).hexdigest()


def idempotent(handler: Handler) -> Handler:
    """Wrap a write handler of an APIView (runs after authentication, permissions, throttling)."""

    @wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= KEY_MAX_LENGTH:
            raise ValidationError({HEADER: [_("Use 1 to 255 characters.")]})
        organisation = request.organisation  # type: ignore[attr-defined]
        digest = _request_hash(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organisation=organisation, key=key, method=request.method, path=request.path, request_hash=digest
                )
        except IntegrityError:
            return _replay(organisation=organisation, key=key, request=request, digest=digest)
        try:
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # turned into its JSON error; unhandled ones re-raise below
                response = view.handle_exception(exc)
        except BaseException:
            record.delete()
            raise
        rendered = JSONRenderer().render(response.data) if response.data is not None else None
        if response.status_code >= 500 or (rendered is not None and NUL.search(rendered)):
            record.delete()
            return response
        body = json.loads(rendered) if rendered is not None else None
        IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=response.status_code, response_body=body)
        return response

    return wrapper


def _replay(*, organisation: Any, key: str, request: Request, digest: str) -> Response:
    record = IdempotencyRecord.objects.get(organisation=organisation, key=key, path=request.path)
    if record.request_hash != digest or record.method != request.method:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotencyInProgress()
    return Response(record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def idempotency_records_purge() -> int:
    """Sweep: forget answers older than a day (a retry after that is a new request)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
