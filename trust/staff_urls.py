"""The staff console (namespace ``staff``). Every view here is ``staff_required``: a test walks
this list and checks that non-staff and staff without MFA are turned away from each URL."""

from django.urls import path

from . import staff_payouts, staff_views

app_name = "staff"
urlpatterns = [
    path("", staff_views.console, name="console"),
    path("verifications/", staff_views.verification_list, name="verification_list"),
    path("verifications/<int:pk>/", staff_views.verification_detail, name="verification_detail"),
    path("verifications/<int:pk>/approve/", staff_views.verification_approve, name="verification_approve"),
    path("verifications/<int:pk>/reject/", staff_views.verification_reject, name="verification_reject"),
    path("verifications/documents/<int:pk>/", staff_views.document_download, name="document_download"),
    path("disputes/", staff_views.dispute_list, name="dispute_list"),
    path("disputes/<int:pk>/", staff_views.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/messages/", staff_views.dispute_message, name="dispute_message"),
    path("disputes/<int:pk>/resolve/", staff_views.dispute_resolve, name="dispute_resolve"),
    path("disputes/evidence/<int:pk>/", staff_views.attachment_download, name="attachment_download"),
    path("blacklist/", staff_views.blacklist, name="blacklist"),
    path("blacklist/<int:pk>/lift/", staff_views.blacklist_remove, name="blacklist_remove"),
    path("organisations/", staff_views.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/ledger/", staff_views.organisation_ledger, name="organisation_ledger"),
    path("leases/<int:pk>/ledger/", staff_views.lease_ledger, name="lease_ledger"),
    path("bank-payouts/", staff_payouts.bank_payout_list, name="bank_payout_list"),
    path("bank-payouts/<int:pk>/record/", staff_payouts.bank_payout_record, name="bank_payout_record"),
    path("audit/", staff_views.audit, name="audit_log"),
]
