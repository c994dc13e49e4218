"""Goods in the warehouse: products (SKUs), stock levels, the stock ledger, adjustments and outbound orders."""

import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import CURRENCIES
from inventory import rules
from inventory.choices import MovementKind, OrderKind
from inventory.models import (
    AdjustmentPhoto,
    OrderEvent,
    OutboundLine,
    OutboundOrder,
    Product,
    StockLevel,
    StockMovement,
)
from inventory.services import PRODUCT_COLUMNS, product_clean
from leasing.selectors import EXPORTER, OWNER
from leasing.services import CHECKIN_PHOTOS_MAX

from .common import ErrorSerializer, OrganisationRefSerializer, user_display
from .leasing import ActorField, photo_content_type
from .warehouses import MAX_UNITS

# The steps of an outbound order (``inventory.rules.order_step``), each a POST /orders/{id}/<step>/.
ORDER_STEPS = ("cancel", "accept", "refuse", "pick", "ship", "deliver")
ADJUSTMENT_CHOICES = [
    (kind.value, kind.label) for kind in (MovementKind.FOUND, MovementKind.LOST, MovementKind.DAMAGED)
]
ADJUSTMENT_PHOTOS_MAX = CHECKIN_PHOTOS_MAX  # what inventory.services.stock takes
MAX_LINES = 200
COUNT_MAX = 2**31 - 1  # a PositiveIntegerField on every database
COUNTRY_CHOICES = [(code, name) for code, name in countries]  # the schema's CountryEnum


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166 country code, or empty (a ``django_countries`` field read or written as its code)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=COUNTRY_CHOICES, allow_blank=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, "code", value) or "")


# --- Products ---------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    origin_country = CountryCodeField(read_only=True)
    currency = serializers.ChoiceField(choices=CURRENCIES, allow_blank=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", *PRODUCT_COLUMNS, "created_at", "updated_at"]
        read_only_fields = fields


def _measure(max_digits: int, decimal_places: int, help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=max_digits,
        decimal_places=decimal_places,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


# An HS code: 6 to 10 digits, dots and spaces between them ignored (``inventory.services.products``); or empty.
HS_CODE_PATTERN = r"^(?:[ .]*(?:[0-9][ .]*){6,10})?$"
HS_CODE = re.compile(HS_CODE_PATTERN.replace("$", r"\Z"))


@extend_schema_field({"type": "string", "pattern": HS_CODE_PATTERN, "maxLength": 40})
class HsCodeField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=40, allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not HS_CODE.match(value):
            raise serializers.ValidationError(_("An HS code has 6 to 10 digits, such as 8517.62 or 8517620000."))
        return value


def _count(help_text: str) -> serializers.IntegerField:
    # Stated here, not derived from the model: the model's range depends on the database backend.
    return serializers.IntegerField(
        min_value=1, max_value=COUNT_MAX, required=False, allow_null=True, help_text=help_text
    )


class ProductWriteSerializer(serializers.ModelSerializer):
    """A product as the products page takes it, cleaned by the same function (``product_clean``). ``sku`` is
    unique in your organisation, compared without case; ``unit_value`` needs a ``currency``."""

    sku = serializers.CharField(max_length=64, help_text="Unique in your organisation (compared without case).")
    units_per_carton = _count("Units in one carton.")
    units_per_pallet = _count("Units on one pallet.")
    weight_kg = _measure(10, 3, "The weight of one unit, in kg.")
    length_cm = _measure(8, 1, "cm")
    width_cm = _measure(8, 1, "cm")
    height_cm = _measure(8, 1, "cm")
    unit_value = _measure(14, 2, "The declared value of one unit, in `currency`.")
    hs_code = HsCodeField(required=False, help_text="6 to 10 digits; dots and spaces are ignored.")
    origin_country = CountryCodeField(required=False, help_text="ISO 3166 code, e.g. CN.")

    class Meta:
        model = Product
        fields = PRODUCT_COLUMNS

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        values, problems = product_clean(attrs)
        if problems:
            raise serializers.ValidationError({name: [message] for name, message in problems.items()})
        value = values.get("unit_value", getattr(self.instance, "unit_value", None))
        currency = values.get("currency", getattr(self.instance, "currency", ""))
        if value is not None and not currency:
            raise serializers.ValidationError({"currency": [_("Give the currency of the declared unit value.")]})
        return values


class ProductImportFormSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8), with the columns of `GET /products/export/`.")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row: 1 is the first after the header; 0 the file or its header.")
    field = serializers.CharField(help_text="The column; empty for the whole row.")
    message = serializers.CharField()


class ImportErrorSerializer(ErrorSerializer):
    """An error, and for ``invalid_import`` every problem of the file."""

    errors = RowErrorSerializer(
        many=True, required=False, help_text="`invalid_import` only: every problem found, with its row and column."
    )


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="New products.")
    updated = serializers.IntegerField(help_text="Products whose SKU existed: their fields were replaced.")


class ProductRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "description"]
        read_only_fields = fields


# --- Stock ------------------------------------------------------------------------------------


class StockLevelSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer(read_only=True)
    warehouse = serializers.IntegerField(source="lease.listing.warehouse_id", read_only=True)
    available = serializers.IntegerField(read_only=True, help_text="`on_hand` less `held`: what may be ordered out.")
    on_hand = serializers.IntegerField(read_only=True, help_text="Units in the warehouse on this lease.")
    held = serializers.IntegerField(read_only=True, help_text="Units held for accepted outbound orders.")

    class Meta:
        model = StockLevel
        fields = ["id", "lease", "warehouse", "product", "on_hand", "held", "available", "updated_at"]
        read_only_fields = fields


class AdjustmentPhotoSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    size = serializers.IntegerField(read_only=True, allow_null=True, help_text="Bytes.")
    url = serializers.SerializerMethodField(help_text="Download it with the same API key.")

    class Meta:
        model = AdjustmentPhoto
        fields = ["id", "content_type", "size", "url"]
        read_only_fields = fields

    def get_content_type(self, photo: AdjustmentPhoto) -> str:
        return photo_content_type(photo)

    def get_url(self, photo: AdjustmentPhoto) -> str:
        return reverse("api:adjustment_photo", args=[photo.pk])


class MovementSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer(read_only=True)
    actor = ActorField(read_only=True)
    quantity = serializers.IntegerField(read_only=True, help_text="Signed: + into the lease's stock, − out of it.")
    order = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The outbound order.")
    transfer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The lease transfer.")
    other_lease = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="A move's other lease (where the goods went, or came from)."
    )
    photos = AdjustmentPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "lease",
            "product",
            "kind",
            "quantity",
            "reason",
            "actor",
            "order",
            "transfer",
            "other_lease",
            "photos",
            "created_at",
        ]
        read_only_fields = fields


ADJUST_HELP = "Photos (multipart/form-data only): JPEG, PNG or WebP, at most 5 MB each and {max} photos."


class AdjustmentSerializer(serializers.Serializer):
    """A stock adjustment sent as JSON (the owner): what the adjustment form takes, photos aside."""

    product = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of a product of the lease's exporter."
    )
    kind = serializers.ChoiceField(choices=ADJUSTMENT_CHOICES)
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_UNITS, help_text="Units, above 0: `found` adds them, `lost` and `damaged` take away."
    )
    reason = serializers.CharField(max_length=300, help_text="What happened; the exporter reads it.")


class AdjustmentUploadSerializer(AdjustmentSerializer):
    photos = serializers.ListField(
        child=serializers.ImageField(allow_empty_file=False),
        required=False,
        default=list,
        max_length=ADJUSTMENT_PHOTOS_MAX,
        help_text=ADJUST_HELP.format(max=ADJUSTMENT_PHOTOS_MAX),
    )

    def validate_photos(self, photos: list[Any]) -> list[Any]:
        field = AdjustmentPhoto._meta.get_field("image")
        problems = []
        for photo in photos:
            try:
                field.run_validators(photo)
            except DjangoValidationError as error:
                problems.append(f"{Path(photo.name or '').name}: {' '.join(error.messages)}")
        if problems:
            raise serializers.ValidationError(problems)
        return photos


# --- Outbound orders --------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer(read_only=True)

    class Meta:
        model = OutboundLine
        fields = ["id", "product", "quantity"]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    actor = ActorField(read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "status", "note", "actor", "created_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    """An outbound order as your organisation sees it, with the steps your side may take now."""

    warehouse = serializers.IntegerField(source="lease.listing.warehouse_id", read_only=True)
    exporter = OrganisationRefSerializer(source="lease.exporter", read_only=True)
    side = serializers.SerializerMethodField(help_text="Your side: the lease's `exporter` or the warehouse `owner`.")
    lines = OrderLineSerializer(many=True, read_only=True)
    consignee_country = CountryCodeField(read_only=True)
    requested_by = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="The steps your side may take now (`inventory.rules.order_allowed`, as on the order page); "
        "each is `POST /orders/{id}/<step>/`."
    )

    class Meta:
        model = OutboundOrder
        fields = [
            "id",
            "lease",
            "warehouse",
            "exporter",
            "side",
            "kind",
            "status",
            "reference",
            "consignee_name",
            "consignee_address",
            "consignee_city",
            "consignee_country",
            "consignee_phone",
            "carrier",
            "tracking_number",
            "refuse_reason",
            "lines",
            "requested_by",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[OWNER, EXPORTER]))
    def get_side(self, order: OutboundOrder) -> str:
        return EXPORTER if order.lease.exporter_id == self.context["request"].organisation.pk else OWNER

    @extend_schema_field({"type": "string", "nullable": True})
    def get_requested_by(self, order: OutboundOrder) -> str | None:
        return user_display(order.requested_by)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(ORDER_STEPS))))
    def get_actions(self, order: OutboundOrder) -> list[str]:
        return list(rules.order_allowed(order, self.get_side(order)))


class OrderDetailSerializer(OrderSerializer):
    """One outbound order with its timeline (oldest first)."""

    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "events"]
        read_only_fields = fields


class OrderLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text="A SKU of your products (`GET /products/`).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS, help_text="Units: at most `available`.")


class OrderCreateSerializer(serializers.Serializer):
    """What the outbound order form takes (``inventory.services.orders.order_create``)."""

    kind = serializers.ChoiceField(
        choices=OrderKind.choices,
        default=OrderKind.SHIP,
        help_text="`ship` to a consignee, `pickup` by your carrier, or `removal` of everything on the lease "
        "(no `lines`: all on hand).",
    )
    lines = OrderLineInSerializer(
        many=True, required=False, default=list, max_length=MAX_LINES, help_text="One line per SKU."
    )
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    consignee_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    consignee_address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    consignee_city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    consignee_country = CountryCodeField(required=False, default="", help_text="ISO 3166 code, e.g. DE.")
    consignee_phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        skus = [line["sku"].strip().casefold() for line in lines]
        if len(set(skus)) != len(skus):
            raise serializers.ValidationError(_("Give each SKU once."))
        return lines


class RefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why; the exporter reads it.")


class ShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)
