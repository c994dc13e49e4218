"""The staff console (namespace ``staff``). Every view here is ``staff_required``: a test walks
this list and checks that non-staff and staff without MFA are turned away from each URL."""

from django.urls import path

from trust import staff_views as trust

from . import staff_views

app_name = "staff"
urlpatterns = [
    path("", staff_views.console, name="console"),
    path("verifications/", trust.verification_list, name="verification_list"),
    path("verifications/<int:pk>/", trust.verification_detail, name="verification_detail"),
    path("verifications/<int:pk>/approve/", trust.verification_approve, name="verification_approve"),
    path("verifications/<int:pk>/reject/", trust.verification_reject, name="verification_reject"),
    path("verifications/documents/<int:pk>/", trust.document_download, name="document_download"),
    path("disputes/", trust.dispute_list, name="dispute_list"),
    path("disputes/<int:pk>/", trust.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/messages/", trust.dispute_message, name="dispute_message"),
    path("disputes/<int:pk>/resolve/", trust.dispute_resolve, name="dispute_resolve"),
    path("disputes/evidence/<int:pk>/", trust.attachment_download, name="attachment_download"),
    path("blacklist/", trust.blacklist, name="blacklist"),
    path("blacklist/<int:pk>/lift/", trust.blacklist_remove, name="blacklist_remove"),
    path("organisations/", trust.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/ledger/", trust.organisation_ledger, name="organisation_ledger"),
    path("leases/<int:pk>/ledger/", trust.lease_ledger, name="lease_ledger"),
    path("audit/", trust.audit, name="audit_log"),
]
