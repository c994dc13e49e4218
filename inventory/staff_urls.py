"""The inventory part of the staff console (namespace ``staff_inventory``, mounted under /staff/):
read-only, every view ``staff_required``."""

from django.urls import path

from . import lifecycle_pages

app_name = "staff_inventory"
urlpatterns = [
    path("overstays/", lifecycle_pages.staff_overstays, name="overstays"),
]
