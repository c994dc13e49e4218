"""Owner screens, under ``/owner/`` with the namespace ``warehouses:owner``."""

from django.urls import path

from . import owner_views as views

app_name = "owner"
urlpatterns = [
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/", views.warehouse_detail, name="warehouse_detail"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
    path("warehouses/<int:pk>/photos/", views.photo_upload, name="photo_upload"),
    path("warehouses/<int:pk>/photos/<int:photo_pk>/delete/", views.photo_delete, name="photo_delete"),
    path("warehouses/<int:pk>/listings/new/", views.listing_create, name="listing_create"),
    path("listings/", views.listing_list, name="listing_list"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/status/", views.listing_status, name="listing_status"),
    path("listings/<int:pk>/calendar/", views.listing_calendar, name="listing_calendar"),
    path("listings/<int:pk>/exceptions/", views.exception_add, name="exception_add"),
    path(
        "listings/<int:pk>/exceptions/<int:exception_pk>/delete/",
        views.exception_remove,
        name="exception_remove",
    ),
]
