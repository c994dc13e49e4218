"""Escrow in the Django admin: read-only. Ledger rows are append-only (the models refuse updates
and deletes); money moves only through the escrow services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Escrow, LedgerEntry, Payment, Payout, PayoutAccount, Posting, Refund, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ["account", "amount", "currency"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "description", "currency", "idempotency_key"]
    search_fields = ["idempotency_key", "description"]
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "posting", "account", "amount", "currency"]
    list_filter = ["currency"]
    search_fields = ["account"]


@admin.register(Escrow)
class EscrowAdmin(ReadOnlyAdmin):
    list_display = ["lease", "currency", "frozen", "created_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = [
        "idempotency_key",
        "organisation",
        "amount",
        "currency",
        "rail",
        "status",
        "bank_reference",
        "paid_at",
    ]
    list_filter = ["status", "rail"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "organisation", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "rail", "country", "service_agreement", "gateway", "account_id", "payouts_enabled"]
    list_filter = ["rail", "service_agreement"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at"]
    search_fields = ["event_id"]
