"""Goods in the warehouse: products (SKUs) with CSV import and export, stock levels, the stock ledger and
the owner's stock adjustments.

The same services (``inventory.services``) and rules as the inventory pages. Products are the exporter's
own: another organisation's product is a 404. Stock levels, movements and adjustment photos belong to a
lease, and both of its sides see them (``api.selectors.stock_visible``), as on the lease page; anyone else
gets a 404. Which side may adjust is the rules' decision (``inventory.rules.adjust_allowed``)."""

from pathlib import Path
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import services
from inventory.exceptions import InvalidImport
from inventory.models import AdjustmentPhoto, Product, StockLevel, StockMovement
from trust.models import PrivateFile
from trust.views import file_response

from ..filters import MovementFilter, ProductFilter, StockFilter
from ..idempotency import idempotent
from ..pagination import cursor_by
from ..schema import ERROR_DESCRIPTIONS, READ, WRITE, download_responses, errors
from ..selectors import adjustment_photo_visible, movements_visible, product_api_queryset, stock_visible
from ..serializers.common import ErrorSerializer
from ..serializers.inventory import (
    AdjustmentSerializer,
    AdjustmentUploadSerializer,
    ImportErrorSerializer,
    ImportResultSerializer,
    MovementSerializer,
    ProductImportFormSerializer,
    ProductSerializer,
    ProductWriteSerializer,
    StockLevelSerializer,
    photo_content_type,
)
from .base import UPLOADS, ApiView
from .leasing import OBJECT_READ, LeaseViewBase, PhotoFile
from .warehouses import IDEMPOTENCY

CSV_TYPE = "text/csv"
IMPORT_MAX_BYTES = 2 * 1024 * 1024


class CSVParser(BaseParser):
    """A ``text/csv`` body, as text (UTF-8, with or without a byte order mark)."""

    media_type = CSV_TYPE

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> str:
        raw = stream.read(IMPORT_MAX_BYTES + 1)
        if len(raw) > IMPORT_MAX_BYTES:
            raise ParseError(_("Send at most 2 MB of CSV."))
        try:
            return cast(str, raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ParseError(_("Send the CSV as UTF-8 text.")) from None


# --- Products ---------------------------------------------------------------------------------


class ProductViewBase(ApiView):
    queryset: QuerySet[Any] = Product.objects.none()

    def products(self) -> QuerySet[Product]:
        return product_api_queryset(organisation=self.organisation)

    def _product(self, pk: int) -> Product:
        return get_object_or_404(self.products(), pk=pk)


class ProductListView(ProductViewBase):
    filterset_class = ProductFilter
    pagination_class = cursor_by("sku", "pk")

    @extend_schema(
        summary="Your products (SKUs)",
        description="Your organisation's products, by SKU. `?sku=` finds one SKU; `?q=` searches SKUs and "
        "descriptions.",
        responses={200: ProductSerializer(many=True), **errors(400, *READ)},
        tags=["inventory"],
    )
    def get(self, request: Request) -> Response:
        return self.page(self.products(), ProductSerializer)

    @extend_schema(
        summary="Add a product (exporter)",
        description="A SKU of your organisation's goods. `sku` is unique in your organisation (400 "
        "`invalid_product` for one you have); `unit_value` needs a `currency`.",
        request=ProductWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: ProductSerializer, **errors(*WRITE)},
        tags=["inventory"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.valid(ProductWriteSerializer)
        product = services.product_create(organisation=self.organisation, by=request.user, **data)
        return self.show(ProductSerializer, self._product(product.pk), status=201)


class ProductDetailView(ProductViewBase):
    @extend_schema(summary="A product", responses={200: ProductSerializer, **errors(*OBJECT_READ)}, tags=["inventory"])
    def get(self, request: Request, pk: int) -> Response:
        return self.show(ProductSerializer, self._product(pk))

    @extend_schema(
        summary="Change a product (exporter)",
        description="Only the fields sent change.",
        request=ProductWriteSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: ProductSerializer, **errors(*WRITE)},
        tags=["inventory"],
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        product = self._product(pk)
        serializer = ProductWriteSerializer(product, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.product_update(product=product, by=request.user, **serializer.validated_data)
        return self.show(ProductSerializer, self._product(pk))

    @extend_schema(
        summary="Delete a product (exporter)",
        description="Only while it has never moved (no stock movement): 409 `product_in_use` otherwise.",
        parameters=[IDEMPOTENCY],
        responses={204: None, **errors(*WRITE)},
        tags=["inventory"],
    )
    @idempotent
    def delete(self, request: Request, pk: int) -> Response:
        services.product_delete(product=self._product(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductImportView(ProductViewBase):
    parser_classes = [CSVParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Import products from CSV (exporter)",
        description="Send the CSV as the body (`text/csv`), or as the `file` field of `multipart/form-data`, "
        "with the columns of `GET /products/export/` (a header row first). A row whose SKU you have changes "
        "that product; any other row adds one. All or nothing: if any row is refused, nothing is written and "
        "the answer is 400 `invalid_import` with `errors`, each `row`, `field` and `message`.",
        request={
            CSV_TYPE: {"type": "string", "description": "The CSV text (UTF-8)."},
            "multipart/form-data": ProductImportFormSerializer,
        },
        parameters=[IDEMPOTENCY],
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description=ERROR_DESCRIPTIONS[400]),
            415: OpenApiResponse(
                ErrorSerializer, description="`unsupported_media_type`: send `text/csv` or `multipart/form-data`."
            ),
            **errors(401, 403, 404, 409, 422, 429),
        },
        tags=["inventory"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if self.uploading():
            upload = self.valid(ProductImportFormSerializer)["file"]
            try:
                text = upload.read(IMPORT_MAX_BYTES + 1).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise serializers.ValidationError({"file": [_("Send the CSV as UTF-8 text.")]}) from None
            if len(text) > IMPORT_MAX_BYTES:
                raise serializers.ValidationError({"file": [_("Send at most 2 MB of CSV.")]})
        else:
            text = request.data if isinstance(request.data, str) else ""
        try:
            result = services.products_import(organisation=self.organisation, by=request.user, data=text)
        except InvalidImport as error:
            rows = [{"row": e.row, "field": e.field, "message": str(e.message)} for e in error.errors]
            body = {"code": error.code, "detail": str(error.detail), "errors": rows}
            return Response(body, status=error.status)
        return self.show(ImportResultSerializer, result)


class ProductExportView(ProductViewBase):
    @extend_schema(
        summary="Export your products as CSV",
        description="Every product, one row each, with the columns `POST /products/import/` takes.",
        responses={
            (200, CSV_TYPE): OpenApiResponse(OpenApiTypes.STR, description="The CSV (UTF-8)."),
            **errors(*READ),
        },
        tags=["inventory"],
    )
    def get(self, request: Request) -> HttpResponse:
        text = services.products_export(organisation=self.organisation)
        response = HttpResponse(text, content_type=f"{CSV_TYPE}; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="products.csv"'
        return response


# --- Stock ------------------------------------------------------------------------------------


class StockListView(ApiView):
    queryset: QuerySet[Any] = StockLevel.objects.none()
    filterset_class = StockFilter
    pagination_class = cursor_by("pk")

    @extend_schema(
        summary="Stock levels",
        description="On hand, held (for accepted outbound orders) and available, per lease and product: your "
        "goods as an exporter, and the goods on leases at your warehouses as an owner. Filter by `lease`, "
        "`product`, `sku` or `warehouse`.",
        responses={200: StockLevelSerializer(many=True), **errors(400, *READ)},
        tags=["inventory"],
    )
    def get(self, request: Request) -> Response:
        return self.page(stock_visible(organisation=self.organisation), StockLevelSerializer)


class MovementListView(ApiView):
    queryset: QuerySet[Any] = StockMovement.objects.none()
    filterset_class = MovementFilter
    pagination_class = cursor_by("-created_at", "-pk")

    @extend_schema(
        summary="The stock ledger",
        description="Every movement of goods on the leases you take part in (as for stock levels), newest first: "
        "received at check-in, adjustments, shipped out, moved between leases, removed. `quantity` is signed. "
        "Filter by `lease`, `product` (both: one stock level's history) and `kind`.",
        responses={200: MovementSerializer(many=True), **errors(400, *READ)},
        tags=["inventory"],
    )
    def get(self, request: Request) -> Response:
        return self.page(movements_visible(organisation=self.organisation), MovementSerializer)


class LeaseAdjustmentView(LeaseViewBase):
    parser_classes = UPLOADS

    @extend_schema(
        summary="Adjust stock (owner)",
        description="Record goods found, lost or damaged on a lease at your warehouse, with a reason the exporter "
        "reads (and is told). `lost` and `damaged` cannot take away more than is available (409 "
        "`insufficient_stock`). Send `multipart/form-data` to add photos. Answers with the movement.",
        request={"application/json": AdjustmentSerializer, "multipart/form-data": AdjustmentUploadSerializer},
        parameters=[IDEMPOTENCY],
        responses={201: MovementSerializer, **errors(*WRITE)},
        tags=["inventory"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        data = self.valid(AdjustmentUploadSerializer if self.uploading() else AdjustmentSerializer)
        product = Product.objects.filter(organisation_id=lease.exporter_id, pk=data.pop("product")).first()
        if product is None:
            raise serializers.ValidationError({"product": [_("Choose a product of this lease's exporter.")]})
        movement = services.stock_adjust(lease=lease, product=product, by=request.user, **data)
        return self.show(
            MovementSerializer, movements_visible(organisation=self.organisation).get(pk=movement.pk), status=201
        )


class AdjustmentPhotoView(ApiView):
    queryset = AdjustmentPhoto.objects.none()

    @extend_schema(
        summary="Download a stock adjustment photo",
        description="For the owner and the exporter of the lease; 404 for anyone else.",
        responses={**download_responses("The photo."), **errors(*OBJECT_READ)},
        tags=["inventory"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        photo = get_object_or_404(adjustment_photo_visible(organisation=self.organisation), pk=pk)
        served = PhotoFile(
            file=photo.image, content_type=photo_content_type(photo), original_name=Path(photo.image.name or "").name
        )
        try:
            return file_response(cast(PrivateFile, served))
        except FileNotFoundError:
            raise NotFound from None
