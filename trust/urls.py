from django.urls import path

from . import lease_pages, views

app_name = "trust"
urlpatterns = [
    path("organisations/verification/", views.verification, name="verification"),
    path("organisations/verification/documents/<int:pk>/", views.document_download, name="document_download"),
    path("organisations/<int:pk>/", views.organisation_profile, name="organisation_profile"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/evidence/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("leases/<int:pk>/review/", views.review_create, name="review_create"),
    path("leases/<int:pk>/dispute/", lease_pages.lease_dispute, name="lease_dispute"),
]
