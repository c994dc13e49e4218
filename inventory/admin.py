"""Inventory in the Django admin: read-only for staff. Goods move only through the inventory
services (the ledger is append-only; a correction is a new adjustment)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AdjustmentPhoto, OrderEvent, OutboundLine, OutboundOrder, Product, StockLevel, StockMovement


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


class OutboundLineInline(ReadOnlyInline):
    model = OutboundLine
    fields = ["product", "quantity"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "status", "actor", "note"]


class AdjustmentPhotoInline(ReadOnlyInline):
    model = AdjustmentPhoto
    fields = ["image", "content_type", "size"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["sku", "description", "organisation", "hs_code", "origin_country", "unit_value", "currency"]
    list_select_related = ["organisation"]
    search_fields = ["sku", "description", "organisation__name"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["lease", "product", "on_hand", "held", "updated_at"]
    list_select_related = ["lease", "product"]
    search_fields = ["product__sku"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "lease", "product", "kind", "quantity", "actor", "reason"]
    list_filter = ["kind"]
    list_select_related = ["lease", "product", "actor"]
    search_fields = ["product__sku", "reason"]
    inlines = [AdjustmentPhotoInline]


@admin.register(OutboundOrder)
class OutboundOrderAdmin(ReadOnlyAdmin):
    list_display = ["pk", "lease", "kind", "status", "reference", "carrier", "tracking_number", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["lease"]
    search_fields = ["reference", "tracking_number", "consignee_name"]
    inlines = [OutboundLineInline, OrderEventInline]
