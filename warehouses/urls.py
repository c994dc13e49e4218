from django.urls import include, path

from . import views

app_name = "warehouses"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("owner/", include("warehouses.owner_urls")),
]
