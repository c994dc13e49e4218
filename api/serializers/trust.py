"""Disputes (thread, evidence, the staff's resolution), reviews, and the organisation's standing."""

from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trust.choices import DisputeKind
from trust.models import Dispute, DisputeAttachment, DisputeMessage, Resolution, Review
from trust.validators import MAX_FILES

from .common import OrganisationRefSerializer, user_display


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField(help_text="Download it with the same API key.")

    class Meta:
        model = DisputeAttachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment: DisputeAttachment) -> str:
        return reverse("api:dispute_attachment", args=[attachment.pk])


class DisputeMessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = DisputeMessage
        fields = ["id", "author_role", "author", "body", "attachments", "created_at"]
        read_only_fields = fields

    def get_author(self, message: DisputeMessage) -> str | None:
        return user_display(message.author)


class ResolutionSerializer(serializers.ModelSerializer):
    """Staff's decision: read by both sides, taken only by staff on the console."""

    class Meta:
        model = Resolution
        fields = [
            "outcome",
            "currency",
            "held",
            "owner_part",
            "exporter_part",
            "platform_fee",
            "found_against",
            "lease_state_after",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    resolution = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "lease",
            "kind",
            "opened_by_side",
            "reason",
            "claimed_amount",
            "currency",
            "state",
            "created_at",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields

    @extend_schema_field(ResolutionSerializer(allow_null=True))
    def get_resolution(self, dispute: Dispute) -> dict[str, Any] | None:
        resolution = getattr(dispute, "resolution", None)
        return ResolutionSerializer(resolution).data if resolution is not None else None


class DisputeDetailSerializer(DisputeSerializer):
    messages = DisputeMessageSerializer(many=True, read_only=True)

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "messages"]
        read_only_fields = fields


def _files(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        default=list,
        max_length=MAX_FILES,
        help_text=f"{help_text} PDF, JPEG, PNG or WebP, at most 10 MB each and {MAX_FILES} files.",
    )


class DisputeOpenSerializer(serializers.Serializer):
    """What the lease page's dispute form takes (``trust.lease_pages.DisputeForm``), files aside."""

    reason = serializers.CharField(max_length=2000, help_text="What is wrong; the thread's first message.")
    kind = serializers.ChoiceField(
        choices=DisputeKind.choices,
        required=False,
        help_text="Default: `damage_or_loss` on an active lease, `check_in` otherwise.",
    )
    claimed_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text="In the lease's currency; default and at most: everything escrow holds.",
    )


class DisputeOpenUploadSerializer(DisputeOpenSerializer):
    """The same, sent as multipart/form-data with evidence files."""

    evidence = _files("Photos or documents.")


class DisputeMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DisputeMessageUploadSerializer(DisputeMessageCreateSerializer):
    """The same, sent as multipart/form-data with evidence files."""

    files = _files("Evidence.")


class ReviewSerializer(serializers.ModelSerializer):
    author_organisation = OrganisationRefSerializer(read_only=True)
    subject_organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "lease", "author_organisation", "subject_organisation", "rating", "text", "created_at"]
        read_only_fields = fields


class ReviewCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=2000)


class VerificationStatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="`unverified`, `pending`, `verified` or `rejected`.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)


class PayoutStatusSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    payouts_enabled = serializers.BooleanField()
    requirements = serializers.ListField(child=serializers.CharField(), help_text="What the processor still needs.")


class StandingSerializer(serializers.Serializer):
    """Whether money can move for your organisation, and why not."""

    verification = VerificationStatusSerializer()
    payout_account = PayoutStatusSerializer(allow_null=True, help_text="Owners only; null until one is set up.")
    blacklisted = serializers.BooleanField()
    rating_grade = serializers.CharField(allow_null=True)
