from django.urls import path

from . import views

app_name = "leasing"
urlpatterns = [
    path("owner/", views.owner_dashboard, name="owner_dashboard"),
    path("exporter/", views.exporter_dashboard, name="exporter_dashboard"),
]
