from django.urls import path

from . import views

app_name = "warehouses"
urlpatterns = [
    path("search/", views.search, name="search"),
]
