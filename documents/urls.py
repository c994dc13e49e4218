from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="document_list"),
    path("<int:pk>.pdf", views.document_download, name="document_download"),
]
