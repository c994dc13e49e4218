from django.contrib import admin

from .models import Document, DocumentCounter


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "recipient", "amount", "currency", "language", "issued_at", "revision"]
    list_filter = ["kind", "language", "currency"]
    search_fields = ["number", "recipient__name", "recipient__legal_name"]
    readonly_fields = [field.name for field in Document._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ["issuer", "kind", "year", "last"]
    readonly_fields = ["issuer", "kind", "year", "last"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
