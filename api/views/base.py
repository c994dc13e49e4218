"""The base of every API view: who is calling, for which organisation."""

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.models import Organisation

from ..auth import request_organisation

# Steps that carry files take multipart/form-data; the rest of the API speaks JSON.
UPLOADS = [JSONParser, MultiPartParser, FormParser]


class ApiView(GenericAPIView):
    queryset: QuerySet[Any]  # each view names its model, for the schema and django-filter

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        request.organisation = request_organisation(request)  # type: ignore[attr-defined]

    @property
    def organisation(self) -> Organisation:
        """The caller's organisation (views behind IsOrganisationMember always have one)."""
        return cast(Organisation, self.request.organisation)  # type: ignore[attr-defined]

    @property
    def organisation_or_none(self) -> Organisation | None:
        return getattr(self.request, "organisation", None)

    def valid(self, serializer_class: type[BaseSerializer], **kwargs: Any) -> dict[str, Any]:
        """The request body, validated by ``serializer_class`` (400 with fields otherwise)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        _text_is_text(serializer, self.request.data)
        serializer.is_valid(raise_exception=True)
        return cast(dict[str, Any], serializer.validated_data)

    def uploading(self) -> bool:
        """Whether the request is multipart/form-data: the steps that take files validate their
        upload serializer then, the JSON one otherwise (JSON cannot carry files)."""
        return str(self.request.content_type).startswith("multipart/")

    def show(self, serializer_class: type[BaseSerializer], instance: Any, *, status: int = 200) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=status)

    def page(self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer]) -> Response:
        """One cursor page of ``queryset`` (after the view's filters and ordering)."""
        rows = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


def _text_is_text(serializer: BaseSerializer, data: Any) -> None:
    """DRF's CharField turns a JSON number or boolean into text; the schema says a string, so a 400."""
    if not isinstance(data, dict) or not isinstance(serializer, serializers.Serializer):
        return
    wrong = {
        name: [_("Give text, not a number or a boolean.")]
        for name, field in serializer.fields.items()
        if isinstance(field, serializers.CharField)
        and not field.read_only
        and isinstance(data.get(name), int | float | bool)
    }
    if wrong:
        raise ValidationError(wrong)
