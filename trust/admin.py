"""Trust in the Django admin: read-only. Decisions go through the staff console, whose services
write the audit log; the admin is for looking things up."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AuditLogEntry,
    BlacklistEntry,
    CreditRating,
    Dispute,
    DisputeMessage,
    Resolution,
    Review,
    VerificationDocument,
    VerificationRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VerificationDocumentInline(ReadOnlyInline):
    model = VerificationDocument
    fields = ["original_name", "content_type", "size", "created_at"]


@admin.register(VerificationRequest)
class VerificationRequestAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "legal_name", "registration_number", "country", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "legal_name", "registration_number"]
    inlines = [VerificationDocumentInline]


class DisputeMessageInline(ReadOnlyInline):
    model = DisputeMessage
    fields = ["author", "author_role", "body", "created_at"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["pk", "lease", "kind", "opened_by_side", "claimed_amount", "currency", "state", "created_at"]
    list_filter = ["state", "kind"]
    inlines = [DisputeMessageInline]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "outcome", "owner_part", "exporter_part", "platform_fee", "currency", "created_at"]
    list_filter = ["outcome", "found_against"]


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "starts_at", "ends_at", "lifted_at", "added_by"]
    search_fields = ["organisation__name"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["lease", "author_organisation", "subject_organisation", "rating", "created_at"]


@admin.register(CreditRating)
class CreditRatingAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "grade", "score", "computed_at"]
    ordering = ["-score"]


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["object_repr", "actor__email"]
