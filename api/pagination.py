"""Cursor pagination on every list: opaque ``next``/``previous`` links, no COUNT query.

Search cannot use a database cursor (availability is checked batch by batch in sort order), so it
pages with its own opaque cursor over ``listing_available_page`` (see ``views.search``)."""

import base64
import binascii
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

MAX_PAGE_SIZE = 100


def invalid_cursor() -> NotFound:
    """A cursor that names no page (it did not come from a ``next``/``previous`` link): 404, as for an unknown
    object. The schema cannot tell a well-formed cursor from another string, so this is not a 400."""
    return NotFound(_("This cursor names no page: follow the next and previous links."), code="invalid_cursor")


def page_size_parse(value: str | None, *, default: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """``page_size`` as the schema says: a whole number from 1 to ``maximum`` (400 otherwise, never clamped)."""
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        raise ValidationError({"page_size": [_("Give a whole number from 1 to %(limit)s.") % {"limit": maximum}]})
    return int(value)


class Cursor(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-created_at", "-pk")

    def get_page_size(self, request: Request) -> int:
        return page_size_parse(
            request.query_params.get(self.page_size_query_param), default=self.page_size, maximum=self.max_page_size
        )

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise invalid_cursor() from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = f"Results per page (default {self.page_size}, at most {self.max_page_size})."
            else:
                parameter["description"] = "From a `next` or `previous` link."
        return parameters


class Ordering(OrderingFilter):
    """DRF's ordering parameter, with its allowed values listed in the schema: one field, ``-`` for descending.
    Any other value is a 400 (DRF would quietly fall back to the default order)."""

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> Any:
        if self.ordering_param in request.query_params:
            value = request.query_params[self.ordering_param]
            allowed = [term for name in getattr(view, "ordering_fields", []) for term in (name, f"-{name}")]
            if value not in allowed:
                raise ValidationError(
                    {self.ordering_param: [_("Choose one of: %(values)s.") % {"values": ", ".join(allowed)}]}
                )
            return [value]
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = list(getattr(view, "ordering_fields", []))
        values = [value for name in fields for value in (name, f"-{name}")]
        default = ", ".join(getattr(view, "ordering", ()))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Sort by one field, `-` for descending (default: {default}).",
                "schema": {"type": "string", "enum": values},
            }
        ]


def cursor_by(*ordering: str) -> type[Cursor]:
    """A Cursor paginator for a fixed ordering (lists that offer no ``ordering`` parameter)."""
    return type(f"CursorBy{''.join(name.strip('-').title() for name in ordering)}", (Cursor,), {"ordering": ordering})


def offset_cursor_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def offset_cursor_decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    name, offset = "", -1
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _equals, value = text.partition("=")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    if name != "o" or not 0 <= offset <= 10_000:
        raise invalid_cursor()
    return offset
