import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from inventory.models import AdjustmentPhoto
from leasing import rules
from leasing.choices import Billing, CancelledBy, GoodsCondition, InstalmentStatus, LeaseState, ShipmentStatus
from leasing.models import (
    CheckIn,
    CheckInLine,
    CheckInPhoto,
    InboundShipment,
    Lease,
    LeaseEvent,
    ShipmentEvent,
    ShipmentLine,
)
from leasing.selectors import EXPORTER, OWNER, lease_instalments
from leasing.services import CHECKIN_PHOTOS_MAX
from warehouses.choices import ListingStatus
from warehouses.models import Listing

from .common import OrganisationRefSerializer, user_display
from .warehouses import MAX_UNITS


@extend_schema_field({"type": "string", "nullable": True})
class ActorField(serializers.Field):
    """The person who took a step (name or email); empty for automatic steps."""

    def to_representation(self, value: Any) -> str | None:
        return user_display(value)


class LeaseListingSerializer(serializers.ModelSerializer):
    warehouse = serializers.IntegerField(source="warehouse_id")

    class Meta:
        model = Listing
        fields = ["id", "title", "unit", "warehouse"]
        read_only_fields = fields


class LeaseSerializer(serializers.ModelSerializer):
    listing = LeaseListingSerializer(read_only=True)
    owner = OrganisationRefSerializer(source="listing.warehouse.organisation", read_only=True)
    exporter = OrganisationRefSerializer(read_only=True)
    side = serializers.SerializerMethodField(help_text="Your side of this lease.")
    days = serializers.IntegerField(read_only=True)
    cancelled_by = serializers.ChoiceField(
        choices=CancelledBy.choices,
        allow_blank=True,
        read_only=True,
        help_text="Which side cancelled; empty unless cancelled.",
    )
    parent = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The lease this one continues (an extension or a transfer), if any."
    )

    class Meta:
        model = Lease
        fields = [
            "id",
            "origin",
            "parent",
            "listing",
            "owner",
            "exporter",
            "side",
            "state",
            "billing",
            "quantity",
            "start",
            "end",
            "days",
            "goods_description",
            "message",
            "currency",
            "unit_price",
            "storage_amount",
            "handling_in_amount",
            "handling_out_amount",
            "platform_fee",
            "platform_fee_percent",
            "total",
            "hold_expires_at",
            "payment_due_at",
            "confirm_by",
            "decline_reason",
            "cancelled_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[OWNER, EXPORTER]))
    def get_side(self, lease: Lease) -> str:
        organisation = self.context["request"].organisation
        return rules.side_of(lease, organisation.pk)


class InstalmentSerializer(serializers.Serializer):
    """One period of the release schedule and how its payment stands (docs/money.md)."""

    sequence = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The owner's part.")
    fee = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The platform fee.")
    gross = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What the exporter pays for it.")
    status = serializers.ChoiceField(
        choices=InstalmentStatus.choices, help_text="`due`: billed monthly and not paid yet (escrow holds nothing)."
    )
    payment_status = serializers.CharField(
        help_text="The latest payment attempt for this period (billed up front: the lease's payment); empty if none."
    )
    charge_tries = serializers.IntegerField(help_text="Automatic off-session charges tried so far.")
    charge_from = serializers.DateField(
        allow_null=True, help_text="Billed monthly: the day the saved card is first charged for it (warehouse time)."
    )


class LeaseDetailSerializer(LeaseSerializer):
    """One lease, with what your side may do with it now (``leasing.rules``, as on the lease page)."""

    actions = serializers.SerializerMethodField(
        help_text="The steps your side may take now; every other step answers with the reason it may not."
    )
    instalments = serializers.SerializerMethodField(
        help_text="The release schedule (once paid) with each period's payment status; empty before."
    )

    class Meta(LeaseSerializer.Meta):
        fields = [*LeaseSerializer.Meta.fields, "actions", "instalments"]
        read_only_fields = fields

    @extend_schema_field(InstalmentSerializer(many=True))
    def get_instalments(self, lease: Lease) -> list[dict[str, Any]]:
        return InstalmentSerializer(lease_instalments(lease), many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(rules.LEASE_ACTIONS))))
    def get_actions(self, lease: Lease) -> list[str]:
        return rules.lease_allowed(lease, self.get_side(lease))


class CancellationSerializer(serializers.Serializer):
    """What cancelling now would do with the money escrow holds (``leasing.services.lease_cancel_quote``)."""

    side = serializers.ChoiceField(choices=[OWNER, EXPORTER], help_text="Your side: the one that would cancel.")
    allowed = serializers.BooleanField(help_text="Whether your side may cancel now.")
    reason = serializers.CharField(help_text="Why not, when `allowed` is false; empty otherwise.")
    code = serializers.CharField(help_text="The error code cancelling now would answer with; empty if allowed.")
    currency = serializers.CharField()
    refund = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Back to the exporter's card.")
    owner_part = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Paid to the owner, fee taken.")
    platform_fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    keep_until = serializers.DateField(
        allow_null=True, help_text="The last day already paid for, which the lease keeps (active leases)."
    )


class CancelSerializer(serializers.Serializer):
    expected_refund = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="The refund you were shown (`cancellation.refund`): if a policy deadline has passed since, "
        "nothing is cancelled and the answer is 409 `refund_changed`.",
    )


class ExtendSerializer(serializers.Serializer):
    end = serializers.DateField(help_text="The new last day; later than the current one.")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class LeaseRequestSerializer(serializers.Serializer):
    listing = serializers.PrimaryKeyRelatedField(
        queryset=Listing.objects.filter(status=ListingStatus.ACTIVE).select_related("warehouse"),
        help_text="An active listing (from search).",
    )
    start = serializers.DateField()
    end = serializers.DateField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    goods_description = serializers.CharField(max_length=300)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    billing = serializers.ChoiceField(
        choices=Billing.choices,
        default=Billing.UPFRONT,
        help_text="`monthly`: pay the first month now and each later month off-session before it starts "
        "(leases longer than 30 days on listings that allow it; else 409 `monthly_billing_unavailable`).",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Shown to the other side.")


class PaySerializer(serializers.Serializer):
    payment_method = serializers.CharField(
        max_length=200,
        help_text="A payment method token: a Stripe PaymentMethod id, or a test card such as pm_card_visa.",
    )


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instalment = serializers.IntegerField(help_text="1: the first payment; n: month n of a lease billed monthly.")
    attempt = serializers.IntegerField()
    status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    client_secret = serializers.CharField(help_text="Stripe only: to finish 3-D Secure in the browser.")
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()


class PayResultSerializer(serializers.Serializer):
    lease = LeaseSerializer()
    payment = PaymentSerializer()


class StateField(serializers.ChoiceField):
    """A lease state, or null where an event has none (the first event has no ``from_state``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=LeaseState.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return value or None


class LeaseEventSerializer(serializers.ModelSerializer):
    actor = ActorField(read_only=True)
    from_state = StateField()
    to_state = StateField()

    class Meta:
        model = LeaseEvent
        fields = ["id", "from_state", "to_state", "note", "actor", "created_at"]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    received_quantity = serializers.SerializerMethodField()

    class Meta:
        model = ShipmentLine
        fields = ["id", "sku", "description", "quantity", "weight_kg", "received_quantity"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_received_quantity(self, line: ShipmentLine) -> int | None:
        received = getattr(line, "received", None)
        return received.received_quantity if received else None


class CheckInLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckInLine
        fields = ["line", "received_quantity"]
        read_only_fields = fields


# A check-in photo's type from its name, for photos older than the recorded ``content_type``.
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def photo_content_type(photo: CheckInPhoto | AdjustmentPhoto) -> str:
    """A photo's MIME type: recorded at upload, else guessed from its name (older check-in photos)."""
    if photo.content_type:
        return photo.content_type
    return PHOTO_TYPES.get(Path(photo.image.name or "").suffix.lower(), "application/octet-stream")


class CheckInPhotoSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    size = serializers.IntegerField(read_only=True, allow_null=True, help_text="Bytes; null for older photos.")
    url = serializers.SerializerMethodField(help_text="Download it with the same API key.")

    class Meta:
        model = CheckInPhoto
        fields = ["id", "content_type", "size", "url"]
        read_only_fields = fields

    def get_content_type(self, photo: CheckInPhoto) -> str:
        return photo_content_type(photo)

    def get_url(self, photo: CheckInPhoto) -> str:
        return reverse("api:checkin_photo", args=[photo.pk])


class CheckInSerializer(serializers.ModelSerializer):
    recorded_by = ActorField(read_only=True)
    difference = serializers.IntegerField(read_only=True)
    photos = CheckInPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "shipment",
            "condition",
            "notes",
            "declared_total",
            "received_total",
            "difference",
            "tolerance_percent",
            "within_tolerance",
            "recorded_by",
            "photos",
            "created_at",
        ]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    lines = ShipmentLineSerializer(many=True, read_only=True)
    checkin = serializers.SerializerMethodField()

    class Meta:
        model = InboundShipment
        fields = [
            "id",
            "lease",
            "carrier",
            "tracking_number",
            "eta",
            "weight_kg",
            "customs_reference",
            "status",
            "lines",
            "checkin",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CheckInSerializer(allow_null=True))
    def get_checkin(self, shipment: InboundShipment) -> dict[str, Any] | None:
        checkin = getattr(shipment, "checkin", None)
        return CheckInSerializer(checkin, context=self.context).data if checkin else None


class DeclaredLineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    sku = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    weight_kg = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)


class ShipmentAnnounceSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)
    eta = serializers.DateField(help_text="Estimated arrival.")
    weight_kg = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    customs_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    lines = DeclaredLineSerializer(many=True, min_length=1, max_length=200)


class ShipmentMarkSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED])
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ShipmentEventSerializer(serializers.ModelSerializer):
    actor = ActorField(read_only=True)

    class Meta:
        model = ShipmentEvent
        fields = ["id", "status", "note", "actor", "created_at"]
        read_only_fields = fields


class JSONListSerializer(serializers.ListSerializer):
    """A list of objects sent as JSON, or, in ``multipart/form-data`` (where fields are text), as
    one field holding the list as JSON text: ``received=[{"line": 7, "quantity": 10}]``."""

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(
                    {"non_field_errors": [_("Send the list as JSON text.")]}, code="not_a_list"
                ) from None
        return super().to_internal_value(data)


class ReceivedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="A declared line's id.")
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS)

    class Meta:
        list_serializer_class = JSONListSerializer


RECEIVED_HELP = "One count per declared line."
PHOTOS_HELP = (
    f"Photos of the goods (multipart/form-data only): JPEG, PNG or WebP, at most 5 MB each and "
    f"{CHECKIN_PHOTOS_MAX} photos, as on the check-in page."
)


class CheckInRecordSerializer(serializers.Serializer):
    """A check-in sent as JSON: what the check-in page takes, photos aside."""

    received = ReceivedLineSerializer(many=True, min_length=1, max_length=200, help_text=RECEIVED_HELP)
    condition = serializers.ChoiceField(choices=GoodsCondition.choices, default=GoodsCondition.GOOD)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate_received(self, rows: list[dict[str, int]]) -> dict[int, int]:
        received = {row["line"]: row["quantity"] for row in rows}
        if len(received) != len(rows):
            raise serializers.ValidationError(_("Give each line once."))
        return received  # type: ignore[return-value]


class CheckInRecordUploadSerializer(CheckInRecordSerializer):
    """A check-in sent as multipart/form-data: with photos, as on the check-in page."""

    photos = serializers.ListField(
        child=serializers.ImageField(allow_empty_file=False),
        required=False,
        default=list,
        max_length=CHECKIN_PHOTOS_MAX,
        help_text=PHOTOS_HELP,
    )

    def validate_photos(self, photos: list[Any]) -> list[Any]:
        """The photo field's own validators (type by name and content, size), as on the page."""
        field = CheckInPhoto._meta.get_field("image")
        problems = []
        for photo in photos:
            try:
                field.run_validators(photo)
            except DjangoValidationError as error:
                problems.append(f"{Path(photo.name or '').name}: {' '.join(error.messages)}")
        if problems:
            raise serializers.ValidationError(problems)
        return photos


class CheckInRecordFormSerializer(CheckInRecordUploadSerializer):
    """A check-in sent as multipart/form-data, with photos."""

    received = serializers.CharField(  # type: ignore[assignment]
        help_text=f'{RECEIVED_HELP} The list as JSON text, e.g. `[{{"line": 7, "quantity": 10}}]`.'
    )
