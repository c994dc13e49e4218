from typing import Any

from rest_framework import serializers

from common.timezones import timezone_choices
from warehouses.choices import FEATURES
from warehouses.exceptions import InvalidDates
from warehouses.forms import CapacityExceptionForm, ListingForm, WarehouseForm
from warehouses.models import CalendarDay, CapacityException, Listing, Port, Warehouse, WarehousePhoto
from warehouses.services import listing_window_check
from warehouses.validators import MAX_UNITS

from .common import OrganisationRefSerializer, form_validate

FEATURE_NAMES = [name for name, _label in FEATURES]
__all__ = ["MAX_UNITS"]  # re-exported: the one cap on units, warehouses.validators.MAX_UNITS


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = WarehousePhoto
        fields = ["image", "caption"]


class WarehouseSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)
    nearest_port = serializers.SlugRelatedField(slug_field="locode", read_only=True, allow_null=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Warehouse
        fields = [
            "id",
            "organisation",
            "name",
            "address",
            "city",
            "country",
            "latitude",
            "longitude",
            "nearest_port",
            "timezone",
            "customs_status",
            *FEATURE_NAMES,
            "opening_hours",
            "description",
            "photos",
            "created_at",
        ]
        read_only_fields = fields


class WarehouseWriteSerializer(serializers.ModelSerializer):
    """The owner's warehouse: checked by the page's WarehouseForm."""

    nearest_port = serializers.SlugRelatedField(
        slug_field="locode", queryset=Port.objects.all(), allow_null=True, required=False, help_text="UN/LOCODE"
    )
    timezone = serializers.ChoiceField(
        choices=timezone_choices(), required=False, help_text="IANA time zone, e.g. Europe/Amsterdam"
    )

    class Meta:
        model = Warehouse
        fields = [f for f in WarehouseSerializer.Meta.fields if f not in ("id", "organisation", "photos", "created_at")]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return form_validate(WarehouseForm, attrs, instance=self.instance)


class WarehouseSummarySerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)
    nearest_port = serializers.SlugRelatedField(slug_field="locode", read_only=True, allow_null=True)

    class Meta:
        model = Warehouse
        fields = ["id", "name", "city", "country", "nearest_port", "customs_status", *FEATURE_NAMES, "organisation"]
        read_only_fields = fields


LISTING_FIELDS = list(ListingForm.Meta.fields)


class ListingSerializer(serializers.ModelSerializer):
    warehouse = WarehouseSummarySerializer(read_only=True)

    class Meta:
        model = Listing
        fields = ["id", "warehouse", *LISTING_FIELDS, "calendar_until", "status", "created_at", "updated_at"]
        read_only_fields = fields


class ListingWriteSerializer(serializers.ModelSerializer):
    """The owner's listing: checked by the page's ListingForm. New listings start as drafts."""

    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.none(), help_text="One of your warehouses"
    )
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    min_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    max_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)

    class Meta:
        model = Listing
        fields = ["warehouse", *LISTING_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # absent while the schema is generated
        if self.instance is not None:
            self.fields.pop("warehouse")  # a listing stays in its warehouse
        elif request is not None:
            owned = Warehouse.objects.filter(organisation=request.organisation)
            self.fields["warehouse"].queryset = owned  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        warehouse = attrs.pop("warehouse", None)
        start, home = attrs.get("available_from"), warehouse or getattr(self.instance, "warehouse", None)
        # The service refuses it too; checking here (the one rule, at the warehouse) makes it a field error.
        if start is not None and home is not None and start != getattr(self.instance, "available_from", None):
            try:
                listing_window_check(home, start)
            except InvalidDates as error:
                raise serializers.ValidationError({"available_from": [error.detail]}) from error
        data = form_validate(ListingForm, attrs, instance=self.instance)
        return {**data, "warehouse": warehouse} if warehouse else data


class ListingStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[("active", "Active"), ("paused", "Paused"), ("archived", "Archived")])


class CalendarDaySerializer(serializers.ModelSerializer):
    free = serializers.IntegerField(read_only=True)

    class Meta:
        model = CalendarDay
        fields = ["day", "capacity", "reserved", "free"]
        read_only_fields = fields


class CapacityExceptionSerializer(serializers.ModelSerializer):
    capacity = serializers.IntegerField(
        min_value=0, max_value=MAX_UNITS, help_text="0 closes the listing on these days."
    )

    class Meta:
        model = CapacityException
        fields = ["id", "start", "end", "capacity", "reason", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return form_validate(CapacityExceptionForm, attrs)


class QuoteSerializer(serializers.Serializer):
    currency = serializers.CharField()
    quantity = serializers.IntegerField()
    days = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    storage = serializers.DecimalField(max_digits=14, decimal_places=2)
    handling_in = serializers.DecimalField(max_digits=14, decimal_places=2)
    handling_out = serializers.DecimalField(max_digits=14, decimal_places=2)
    platform_fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class SearchResultSerializer(serializers.Serializer):
    listing = ListingSerializer()
    distance_km = serializers.FloatField(allow_null=True, help_text="From the searched port, when one is given.")
    free_units = serializers.IntegerField(allow_null=True, help_text="Fewest free units over the dates, when given.")
    quote = QuoteSerializer(allow_null=True, help_text="The price for the dates and quantity, when given.")


class SearchPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchResultSerializer(many=True)
