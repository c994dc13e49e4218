"""The inventory part of the staff console (namespace ``staff_inventory``, mounted under /staff/):
read-only, every view ``staff_required``. Adjustments reach the audit trail through inventory's services."""

from django.urls import path

from . import lifecycle_pages, views

app_name = "staff_inventory"
urlpatterns = [
    path("stock/", views.staff_stock_list, name="stock"),
    path("orders/", views.staff_order_list, name="orders"),
    path("overstays/", lifecycle_pages.staff_overstays, name="overstays"),
]
