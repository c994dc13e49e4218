"""Inventory's part of the staff console (``staff/inventory/``; every view ``staff_required``)."""

from django.urls import path

from . import lifecycle_pages

app_name = "inventory_staff"
urlpatterns = [
    path("overstays/", lifecycle_pages.staff_overstays, name="overstays"),
]
