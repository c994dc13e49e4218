"""``/api/v1/``: the REST API, its OpenAPI schema and its browsable docs (self-hosted assets)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace, csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from .views import documents, inventory, leasing, not_found, orders, payouts, transfers, trust, warehouses

app_name = "api"

public = {"permission_classes": [AllowAny], "authentication_classes": []}
# Redoc writes <style> elements at run time, which no nonce covers, runs its search in a blob: worker
# and shows Redocly's logo from their CDN: this page alone may do those (scripts stay as strict as
# everywhere). Swagger UI (docs/) needs no exception (docs/deploy.md, "Security headers").
redoc_policy = csp_update({"worker-src": [SELF, "blob:"], "img-src": ["https://cdn.redoc.ly"]})
redoc_styles = csp_replace({"style-src": [SELF, UNSAFE_INLINE]})
redoc = redoc_policy(redoc_styles(SpectacularRedocView.as_view(url_name="api:schema", **public)))

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**public), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **public), name="docs"),
    path("redoc/", redoc, name="redoc"),
    path("me/", warehouses.MeView.as_view(), name="me"),
    path("me/standing/", trust.StandingView.as_view(), name="standing"),
    path("payout-account/", payouts.PayoutAccountView.as_view(), name="payout_account"),
    path("payouts/", payouts.PayoutListView.as_view(), name="payout_list"),
    path("notifications/", trust.NotificationListView.as_view(), name="notification_list"),
    path("notifications/read/", trust.NotificationReadAllView.as_view(), name="notification_read_all"),
    path("notifications/<int:pk>/read/", trust.NotificationReadView.as_view(), name="notification_read"),
    path("disputes/", trust.DisputeListView.as_view(), name="dispute_list"),
    path("disputes/<int:pk>/", trust.DisputeDetailView.as_view(), name="dispute_detail"),
    path("disputes/<int:pk>/messages/", trust.DisputeMessageView.as_view(), name="dispute_messages"),
    path("dispute-attachments/<int:pk>/", trust.DisputeAttachmentView.as_view(), name="dispute_attachment"),
    path("search/", warehouses.SearchView.as_view(), name="search"),
    path("listings/", warehouses.ListingListView.as_view(), name="listing_list"),
    path("listings/<int:pk>/", warehouses.ListingDetailView.as_view(), name="listing_detail"),
    path("listings/<int:pk>/status/", warehouses.ListingStatusView.as_view(), name="listing_status"),
    path("listings/<int:pk>/calendar/", warehouses.ListingCalendarView.as_view(), name="listing_calendar"),
    path("listings/<int:pk>/exceptions/", warehouses.CapacityExceptionListView.as_view(), name="exception_list"),
    path(
        "listings/<int:pk>/exceptions/<int:exception_pk>/",
        warehouses.CapacityExceptionDetailView.as_view(),
        name="exception_detail",
    ),
    path("warehouses/", warehouses.WarehouseListView.as_view(), name="warehouse_list"),
    path("warehouses/<int:pk>/", warehouses.WarehouseDetailView.as_view(), name="warehouse_detail"),
    path("leases/", leasing.LeaseListView.as_view(), name="lease_list"),
    path("leases/<int:pk>/", leasing.LeaseDetailView.as_view(), name="lease_detail"),
    path("leases/<int:pk>/accept/", leasing.LeaseAcceptView.as_view(), name="lease_accept"),
    path("leases/<int:pk>/decline/", leasing.LeaseDeclineView.as_view(), name="lease_decline"),
    path("leases/<int:pk>/withdraw/", leasing.LeaseWithdrawView.as_view(), name="lease_withdraw"),
    path("leases/<int:pk>/pay/", leasing.LeasePayView.as_view(), name="lease_pay"),
    path("leases/<int:pk>/instalments/pay/", leasing.LeaseInstalmentPayView.as_view(), name="lease_instalment_pay"),
    path("leases/<int:pk>/confirm/", leasing.LeaseConfirmView.as_view(), name="lease_confirm"),
    path("leases/<int:pk>/dispute/", trust.LeaseDisputeView.as_view(), name="lease_dispute"),
    path("leases/<int:pk>/reviews/", trust.LeaseReviewView.as_view(), name="lease_reviews"),
    path("leases/<int:pk>/cancellation/", leasing.LeaseCancellationView.as_view(), name="lease_cancellation"),
    path("leases/<int:pk>/cancel/", leasing.LeaseCancelView.as_view(), name="lease_cancel"),
    path("leases/<int:pk>/extend/", leasing.LeaseExtendView.as_view(), name="lease_extend"),
    path("leases/<int:pk>/events/", leasing.LeaseEventListView.as_view(), name="lease_events"),
    path("leases/<int:pk>/escrow/", leasing.LeaseEscrowView.as_view(), name="lease_escrow"),
    path("leases/<int:pk>/shipments/", leasing.LeaseShipmentListView.as_view(), name="lease_shipments"),
    path("leases/<int:pk>/transfers/", transfers.LeaseTransferListView.as_view(), name="lease_transfers"),
    path("leases/<int:pk>/transfer-quote/", transfers.LeaseTransferQuoteView.as_view(), name="lease_transfer_quote"),
    path("transfers/", transfers.TransferListView.as_view(), name="transfer_list"),
    path("transfers/<int:pk>/", transfers.TransferDetailView.as_view(), name="transfer_detail"),
    path("transfers/<int:pk>/accept/", transfers.TransferAcceptView.as_view(), name="transfer_accept"),
    path("transfers/<int:pk>/consent/", transfers.TransferConsentView.as_view(), name="transfer_consent"),
    path("transfers/<int:pk>/withdraw/", transfers.TransferWithdrawView.as_view(), name="transfer_withdraw"),
    path("shipments/", leasing.ShipmentListView.as_view(), name="shipment_list"),
    path("shipments/<int:pk>/", leasing.ShipmentDetailView.as_view(), name="shipment_detail"),
    path("shipments/<int:pk>/status/", leasing.ShipmentStatusView.as_view(), name="shipment_status"),
    path("shipments/<int:pk>/events/", leasing.ShipmentEventListView.as_view(), name="shipment_events"),
    path("shipments/<int:pk>/checkin/", leasing.ShipmentCheckInView.as_view(), name="shipment_checkin"),
    path("checkin-photos/<int:pk>/", leasing.CheckInPhotoView.as_view(), name="checkin_photo"),
    path("documents/", documents.DocumentListView.as_view(), name="document_list"),
    path("documents/<int:pk>/", documents.DocumentDetailView.as_view(), name="document_detail"),
    path("documents/<int:pk>/pdf/", documents.DocumentPdfView.as_view(), name="document_pdf"),
    path("products/", inventory.ProductListView.as_view(), name="product_list"),
    path("products/import/", inventory.ProductImportView.as_view(), name="product_import"),
    path("products/export/", inventory.ProductExportView.as_view(), name="product_export"),
    path("products/<int:pk>/", inventory.ProductDetailView.as_view(), name="product_detail"),
    path("stock/", inventory.StockListView.as_view(), name="stock_list"),
    path("stock/movements/", inventory.MovementListView.as_view(), name="movement_list"),
    path("leases/<int:pk>/adjustments/", inventory.LeaseAdjustmentView.as_view(), name="lease_adjustments"),
    path("adjustment-photos/<int:pk>/", inventory.AdjustmentPhotoView.as_view(), name="adjustment_photo"),
    path("leases/<int:pk>/orders/", orders.LeaseOrderListView.as_view(), name="lease_orders"),
    path("orders/", orders.OrderListView.as_view(), name="order_list"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<int:pk>/cancel/", orders.OrderCancelView.as_view(), name="order_cancel"),
    path("orders/<int:pk>/accept/", orders.OrderAcceptView.as_view(), name="order_accept"),
    path("orders/<int:pk>/refuse/", orders.OrderRefuseView.as_view(), name="order_refuse"),
    path("orders/<int:pk>/pick/", orders.OrderPickView.as_view(), name="order_pick"),
    path("orders/<int:pk>/ship/", orders.OrderShipView.as_view(), name="order_ship"),
    path("orders/<int:pk>/deliver/", orders.OrderDeliverView.as_view(), name="order_deliver"),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^", not_found, name="not_found"),
]
