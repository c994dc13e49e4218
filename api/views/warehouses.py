"""Search, listings, warehouses, the capacity calendar and its exceptions; and ``me``."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.db_router import read_from_replica
from warehouses import services
from warehouses.dates import warehouse_today
from warehouses.models import CalendarDay, CapacityException, Listing, Warehouse
from warehouses.search import search_page

from ..filters import (
    SEARCH_MAX_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    ApiSearchFilter,
    ListingFilter,
    WarehouseFilter,
    search_parameters,
)
from ..idempotency import idempotent
from ..models import ApiKey
from ..pagination import Ordering, cursor_by, offset_cursor_decode, offset_cursor_encode, page_size_parse
from ..permissions import PublicReadOrMember
from ..schema import READ, WRITE, errors
from ..selectors import listing_visible, warehouse_visible
from ..serializers.warehouses import (
    CalendarDaySerializer,
    CapacityExceptionSerializer,
    ListingSerializer,
    ListingStatusSerializer,
    ListingWriteSerializer,
    SearchPageSerializer,
    WarehouseSerializer,
    WarehouseWriteSerializer,
)
from .base import ApiView

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Send a unique key to make a retry of this write return the first answer.",
)


def _require_owner(view: ApiView) -> None:
    if not view.organisation.is_owner:
        raise PermissionDenied(_("Your organisation is not set up to own warehouses."), code="not_an_owner")


# --- Me ---------------------------------------------------------------------------------------

MeSerializer = inline_serializer(
    "Me",
    {
        "organisation": inline_serializer(
            "MeOrganisation",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "is_owner": serializers.BooleanField(),
                "is_exporter": serializers.BooleanField(),
                "verification_status": serializers.CharField(),
            },
        ),
        "user": serializers.CharField(help_text="Who the API acts as: the key's creator, or you."),
        "key": inline_serializer(
            "MeKey",
            {"prefix": serializers.CharField(), "name": serializers.CharField(), "scope": serializers.CharField()},
            allow_null=True,
            help_text="The API key used, or null with a browser session.",
        ),
    },
)


class MeView(ApiView):
    @extend_schema(summary="Who is calling", responses={200: MeSerializer, **errors(*READ)}, tags=["me"])
    def get(self, request: Request) -> Response:
        organisation, key = self.organisation, request.auth
        return Response(
            {
                "organisation": {
                    "id": organisation.pk,
                    "name": organisation.name,
                    "is_owner": organisation.is_owner,
                    "is_exporter": organisation.is_exporter,
                    "verification_status": organisation.verification_status,
                },
                "user": str(request.user),
                "key": {"prefix": key.prefix, "name": key.name, "scope": key.scope}
                if isinstance(key, ApiKey)
                else None,
            }
        )


# --- Search -----------------------------------------------------------------------------------


class SearchView(ApiView):
    permission_classes = [PublicReadOrMember]
    pagination_class = None

    @extend_schema(
        summary="Search available space",
        description="The search of the web page, with the same parameters and rules. Without dates it lists "
        "active listings; with `start`, `end` (and `quantity`) only those with enough free units on every day. "
        "Pages are linked by `next`/`previous`; there is no total count.",
        parameters=search_parameters(),
        responses={200: SearchPageSerializer, **errors(400, 401, 429)},
        tags=["search"],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        offset = offset_cursor_decode(params.get("cursor"))
        size = page_size_parse(params.get("page_size"), default=SEARCH_PAGE_SIZE, maximum=SEARCH_MAX_PAGE_SIZE)
        # The page's own selector (warehouses.search): same rules, same rows, same order, with the API's
        # filter set (any ISO country code). Read-only and lag-tolerant like the page, so the read
        # replica may answer (common/db_router.py).
        found = read_from_replica(search_page, params, offset=offset, limit=size, filterset_class=ApiSearchFilter)
        if not found.valid:
            raise ValidationError({name: list(messages) for name, messages in found.filterset.form.errors.items()})
        url = request.build_absolute_uri()
        previous = None
        if offset:
            back = max(offset - size, 0)
            previous = (
                replace_query_param(url, "cursor", offset_cursor_encode(back))
                if back
                else remove_query_param(url, "cursor")
            )
        body = {
            "next": replace_query_param(url, "cursor", offset_cursor_encode(offset + size)) if found.has_next else None,
            "previous": previous,
            "results": found.results,
        }
        return Response(SearchPageSerializer(body, context=self.get_serializer_context()).data)


# --- Listings ---------------------------------------------------------------------------------


class ListingListView(ApiView):
    permission_classes = [PublicReadOrMember]
    filterset_class = ListingFilter
    filter_backends = [*ApiView.filter_backends, Ordering]
    ordering_fields = ["created_at", "price_per_unit_day"]
    ordering = ("-created_at", "-pk")
    queryset: QuerySet[Any] = Listing.objects.none()

    @extend_schema(
        summary="Listings",
        description="Active listings, and all of your own (drafts, paused, archived).",
        responses={200: ListingSerializer(many=True), **errors(400, 401, 429)},
        tags=["listings"],
    )
    def get(self, request: Request) -> Response:
        return self.page(listing_visible(organisation=self.organisation_or_none), ListingSerializer)

    @extend_schema(
        summary="Create a listing (owner)",
        description="Checked like the owner's listing form. New listings are drafts: publish with "
        "`POST /listings/{id}/status/`.",
        request=ListingWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: ListingSerializer, **errors(*WRITE)},
        tags=["listings"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_owner(self)
        data = self.valid(ListingWriteSerializer)
        listing = services.listing_create(**data)
        return self.show(
            ListingSerializer, listing_visible(organisation=self.organisation).get(pk=listing.pk), status=201
        )


class ListingViewBase(ApiView):
    permission_classes = [PublicReadOrMember]
    queryset: QuerySet[Any] = Listing.objects.none()

    def _listing(self, pk: int, *, own: bool = False) -> Listing:
        """A visible listing; with ``own``, only one of the caller's (else 404)."""
        listings = listing_visible(organisation=self.organisation_or_none)
        if own:
            listings = listings.filter(warehouse__organisation=self.organisation)
        return get_object_or_404(listings, pk=pk)


class ListingDetailView(ListingViewBase):
    @extend_schema(summary="A listing", responses={200: ListingSerializer, **errors(401, 404, 429)}, tags=["listings"])
    def get(self, request: Request, pk: int) -> Response:
        return self.show(ListingSerializer, self._listing(pk))

    @extend_schema(
        summary="Change a listing (owner)",
        description="Capacity and window changes are re-applied to the calendar; refused (409 "
        "`capacity_below_reserved`) where they would cut below what is reserved.",
        request=ListingWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: ListingSerializer, **errors(*WRITE)},
        tags=["listings"],
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        listing = self._listing(pk, own=True)
        serializer = ListingWriteSerializer(
            listing, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.listing_update(listing=listing, **serializer.validated_data)
        return self.show(ListingSerializer, self._listing(pk))


class ListingStatusView(ListingViewBase):
    @extend_schema(
        summary="Publish, pause, resume or archive a listing (owner)",
        request=ListingStatusSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: ListingSerializer, **errors(*WRITE)},
        tags=["listings"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        listing = self._listing(pk, own=True)
        services.listing_set_status(listing=listing, status=self.valid(ListingStatusSerializer)["status"])
        return self.show(ListingSerializer, self._listing(pk))


class ListingCalendarView(ListingViewBase):
    pagination_class = cursor_by("day")
    queryset = CalendarDay.objects.none()

    @extend_schema(
        summary="A listing's capacity calendar",
        description="One row per day with capacity, reserved and free units, from `from` (default today).",
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default today).")],
        responses={200: CalendarDaySerializer(many=True), **errors(400, 401, 404, 429)},
        tags=["listings"],
    )
    def get(self, request: Request, pk: int) -> Response:
        listing = self._listing(pk)
        days = CalendarDay.objects.filter(listing=listing)
        first = request.query_params.get("from")
        days = days.filter(day__gte=_date(first, "from") if first is not None else warehouse_today(listing.warehouse))
        return self.page(days, CalendarDaySerializer)


def _date(value: str, name: str) -> Any:
    field = serializers.DateField()
    try:
        return field.to_internal_value(value)
    except ValidationError as error:
        raise ValidationError({name: error.detail}) from None


class CapacityExceptionListView(ListingViewBase):
    permission_classes = ApiView.permission_classes
    pagination_class = cursor_by("start", "pk")
    queryset = CapacityException.objects.none()

    @extend_schema(
        summary="A listing's capacity exceptions (owner)",
        responses={200: CapacityExceptionSerializer(many=True), **errors(400, 401, 403, 404, 429)},
        tags=["listings"],
    )
    def get(self, request: Request, pk: int) -> Response:
        listing = self._listing(pk, own=True)
        return self.page(CapacityException.objects.filter(listing=listing), CapacityExceptionSerializer)

    @extend_schema(
        summary="Close or reduce capacity on a date range (owner)",
        description="Refused with 409 `capacity_below_reserved` (naming the days) where leases hold more units.",
        request=CapacityExceptionSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: CapacityExceptionSerializer, **errors(*WRITE)},
        tags=["listings"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        listing = self._listing(pk, own=True)
        exception = services.capacity_exception_add(listing=listing, **self.valid(CapacityExceptionSerializer))
        return self.show(CapacityExceptionSerializer, exception, status=201)


class CapacityExceptionDetailView(ListingViewBase):
    permission_classes = ApiView.permission_classes
    queryset = CapacityException.objects.none()

    def _exception(self, pk: int, exception_pk: int) -> CapacityException:
        listing = self._listing(pk, own=True)
        return get_object_or_404(CapacityException.objects.select_related("listing"), pk=exception_pk, listing=listing)

    @extend_schema(
        summary="A capacity exception (owner)",
        responses={200: CapacityExceptionSerializer, **errors(401, 403, 404, 429)},
        tags=["listings"],
    )
    def get(self, request: Request, pk: int, exception_pk: int) -> Response:
        return self.show(CapacityExceptionSerializer, self._exception(pk, exception_pk))

    @extend_schema(
        summary="Remove a capacity exception (owner)",
        parameters=[IDEMPOTENCY],
        responses={204: None, **errors(*WRITE)},
        tags=["listings"],
    )
    @idempotent
    def delete(self, request: Request, pk: int, exception_pk: int) -> Response:
        services.capacity_exception_remove(exception=self._exception(pk, exception_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Warehouses -------------------------------------------------------------------------------


class WarehouseListView(ApiView):
    permission_classes = [PublicReadOrMember]
    filterset_class = WarehouseFilter
    filter_backends = [*ApiView.filter_backends, Ordering]
    ordering_fields = ["created_at", "name"]
    ordering = ("-created_at", "-pk")
    queryset = Warehouse.objects.none()

    @extend_schema(
        summary="Warehouses",
        description="Warehouses with an active listing, and all of your own.",
        responses={200: WarehouseSerializer(many=True), **errors(400, 401, 429)},
        tags=["warehouses"],
    )
    def get(self, request: Request) -> Response:
        return self.page(warehouse_visible(organisation=self.organisation_or_none), WarehouseSerializer)

    @extend_schema(
        summary="Add a warehouse (owner)",
        request=WarehouseWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: WarehouseSerializer, **errors(*WRITE)},
        tags=["warehouses"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_owner(self)
        warehouse = services.warehouse_create(organisation=self.organisation, **self.valid(WarehouseWriteSerializer))
        return self.show(
            WarehouseSerializer, warehouse_visible(organisation=self.organisation).get(pk=warehouse.pk), status=201
        )


class WarehouseDetailView(ApiView):
    permission_classes = [PublicReadOrMember]
    queryset = Warehouse.objects.none()

    @extend_schema(
        summary="A warehouse", responses={200: WarehouseSerializer, **errors(401, 404, 429)}, tags=["warehouses"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.show(
            WarehouseSerializer, get_object_or_404(warehouse_visible(organisation=self.organisation_or_none), pk=pk)
        )

    @extend_schema(
        summary="Change a warehouse (owner)",
        request=WarehouseWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: WarehouseSerializer, **errors(*WRITE)},
        tags=["warehouses"],
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        warehouse = get_object_or_404(
            warehouse_visible(organisation=self.organisation).filter(organisation=self.organisation), pk=pk
        )
        serializer = WarehouseWriteSerializer(
            warehouse, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.warehouse_update(warehouse=warehouse, **serializer.validated_data)
        return self.show(WarehouseSerializer, warehouse_visible(organisation=self.organisation).get(pk=pk))
