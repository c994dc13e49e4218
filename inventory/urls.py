from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/import/", views.product_import, name="product_import"),
    path("products/export.csv", views.product_export, name="product_export"),
    path("products/<int:pk>/edit/", views.product_update, name="product_update"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("stock/", views.stock, name="stock"),
    path("stock/export.csv", views.stock_export, name="stock_export"),
    path("stock/sku/<int:pk>/", views.product_stock, name="product_stock"),
    path("leases/<int:pk>/stock/", views.lease_stock, name="lease_stock"),
    path("leases/<int:pk>/stock/adjust/", views.stock_adjust, name="stock_adjust"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/pick-list/", views.pick_list, name="pick_list"),
    path("orders/<int:pk>/<slug:step>/", views.order_step, name="order_step"),
    path("outbound/", views.outbound_queue, name="outbound_queue"),
]
