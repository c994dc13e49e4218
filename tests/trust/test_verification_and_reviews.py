"""Verification (KYC) and reviews: services, pages, emails, the audit log, and who may see what."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.choices import Role, VerificationStatus
from accounts.models import Organisation
from common.exceptions import PermissionDenied
from leasing.choices import LeaseState as S
from tests.accounts.factories import OrganisationFactory, member_of
from tests.leasing.factories import Parties
from trust import services
from trust.choices import VerificationRequestStatus
from trust.exceptions import EvidenceInvalid, ReviewInvalid, VerificationInvalid
from trust.models import AuditLogEntry, Review, VerificationDocument, VerificationRequest

from .factories import not_an_image, pdf, png, staff_user, unverified_organisation, verification_submitted

pytestmark = pytest.mark.django_db


def test_submit_then_approve(django_capture_on_commit_callbacks):
    organisation, admin = unverified_organisation(name="Hamburg Cold Chain")
    staff = staff_user()

    with django_capture_on_commit_callbacks(execute=True):
        request = verification_submitted(organisation, admin)
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.PENDING
    assert request.documents.count() == 2
    assert [m.subject for m in mail.outbox] == ["[Wareshare] We received Hamburg Cold Chain's verification request"]
    stored = Path(request.documents.first().file.path)
    assert Path(settings.PRIVATE_MEDIA_ROOT) in stored.parents

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_approve(verification=request, by=staff)

    organisation.refresh_from_db()
    assert organisation.is_verified
    assert organisation.verified_at
    assert (organisation.legal_name, organisation.registration_number) == ("Hamburg Cold Chain B.V.", "KVK-12345678")
    assert organisation.credit_grade == "C"  # rated on the event
    log = AuditLogEntry.objects.get(action="verification.approve")
    assert (log.actor, log.before["verification_status"], log.after["verification_status"]) == (
        staff,
        "pending",
        "verified",
    )
    assert mail.outbox[0].subject == "[Wareshare] Hamburg Cold Chain is verified"
    with pytest.raises(VerificationInvalid, match="already decided"):
        services.verification_reject(verification=request, by=staff, reason="late")


def test_reject_with_a_reason_then_submit_again(django_capture_on_commit_callbacks):
    organisation, admin = unverified_organisation()
    staff = staff_user()
    request = verification_submitted(organisation, admin)

    with pytest.raises(VerificationInvalid, match="reason"):
        services.verification_reject(verification=request, by=staff, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_reject(verification=request, by=staff, reason="The extract is older than 3 months.")

    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.REJECTED
    assert "The extract is older than 3 months." in mail.outbox[-1].body
    assert (
        AuditLogEntry.objects.get(action="verification.reject").after["reason"] == "The extract is older than 3 months."
    )
    again = verification_submitted(organisation, admin)
    assert again.status == VerificationRequestStatus.PENDING


def test_who_may_submit_and_when():
    organisation, admin = unverified_organisation()
    member = member_of(organisation, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        verification_submitted(organisation, member)
    verification_submitted(organisation, admin)
    with pytest.raises(VerificationInvalid, match="already waiting"):
        verification_submitted(organisation, admin)
    verified = OrganisationFactory()
    with pytest.raises(VerificationInvalid, match="already verified"):
        verification_submitted(verified, member_of(verified))
    with pytest.raises(PermissionDenied):
        services.verification_approve(verification=VerificationRequest.objects.get(), by=admin)


def test_documents_are_checked_by_content():
    organisation, admin = unverified_organisation()
    with pytest.raises(EvidenceInvalid, match=r"photo\.png"):
        services.verification_submit(
            organisation=organisation,
            by=admin,
            legal_name="X",
            registration_number="1",
            country="NL",
            address="Street 1",
            documents=[not_an_image()],
        )
    with pytest.raises(VerificationInvalid, match="at least one document"):
        services.verification_submit(
            organisation=organisation,
            by=admin,
            legal_name="X",
            registration_number="1",
            country="NL",
            address="a",
            documents=[],
        )
    assert not VerificationRequest.objects.exists()
    assert Organisation.objects.get(pk=organisation.pk).verification_status == VerificationStatus.UNVERIFIED


def test_the_verification_page(client):
    _, admin = unverified_organisation()
    client.force_login(admin)
    url = reverse("trust:verification")
    assert "Submit for verification" in client.get(url).content.decode()

    bad = client.post(
        url,
        {
            "legal_name": "X BV",
            "registration_number": "1",
            "country": "NL",
            "address": "a",
            "documents": [not_an_image()],
        },
    )
    assert bad.status_code == 200
    assert not VerificationRequest.objects.exists()

    response = client.post(
        url,
        {
            "legal_name": "X BV",
            "registration_number": "KVK 1",
            "country": "NL",
            "address": "Kade 1",
            "documents": [pdf(), png()],
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Waiting for review" in page
    assert "register-extract.pdf" in page
    document = VerificationDocument.objects.first()
    download = client.get(reverse("trust:document_download", args=[document.pk]))
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert "attachment" in download["Content-Disposition"]

    client.force_login(member_of(OrganisationFactory()))
    assert client.get(reverse("trust:document_download", args=[document.pk])).status_code == 404


def test_the_staff_console_decides_verifications(client):
    organisation, admin = unverified_organisation()
    request = verification_submitted(organisation, admin)
    client.force_login(staff_user())

    page = client.get(reverse("staff:verification_detail", args=[request.pk])).content.decode()
    assert "KVK-12345678" in page
    assert "register-extract.pdf" in page
    document = request.documents.first()
    assert client.get(reverse("staff:document_download", args=[document.pk])).status_code == 200

    response = client.post(reverse("staff:verification_reject", args=[request.pk]), {"reason": ""})
    assert response.status_code == 200  # the reason is required
    client.post(reverse("staff:verification_approve", args=[request.pk]))
    assert Organisation.objects.get(pk=organisation.pk).is_verified


# --- Reviews -------------------------------------------------------------------------------------------


def test_each_side_reviews_once_after_completion(django_capture_on_commit_callbacks):
    p = Parties(capacity=100)
    active = p.lease_in(S.ACTIVE)
    with pytest.raises(ReviewInvalid, match="complete"):
        services.review_create(lease=active, by=p.exporter, rating_value=5, text="x")
    lease = p.lease_in(S.COMPLETED)

    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_create(lease=lease, by=p.exporter, rating_value=5, text="Fast check-in")
    services.review_create(lease=lease, by=p.owner, rating_value=4, text="Paid on time")

    assert (review.author_organisation, review.subject_organisation) == (p.exporter_org, p.owner_org)
    assert Review.objects.filter(lease=lease).count() == 2
    assert mail.outbox[-1].to == [p.owner.email]
    with pytest.raises(ReviewInvalid, match="already reviewed"):
        services.review_create(lease=lease, by=p.exporter, rating_value=1, text="changed my mind")
    with pytest.raises(ReviewInvalid, match="1 to 5"):
        services.review_create(lease=p.lease_in(S.COMPLETED), by=p.exporter, rating_value=6, text="x")
    assert Organisation.objects.get(pk=p.owner_org.pk).credit_grade  # rated on the event


def test_the_review_page(client):
    p = Parties(capacity=100)
    lease = p.lease_in(S.COMPLETED)
    client.force_login(p.owner)
    detail = client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    assert reverse("trust:review_create", args=[lease.pk]) in detail

    response = client.post(reverse("trust:review_create", args=[lease.pk]), {"rating": "4", "text": "Paid on time"})

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.author_organisation, review.rating) == (p.owner_org, 4)
    detail = client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    assert reverse("trust:review_create", args=[lease.pk]) not in detail
    profile = client.get(reverse("trust:organisation_profile", args=[p.exporter_org.pk])).content.decode()
    assert "Paid on time" in profile

    client.force_login(member_of(OrganisationFactory(is_owner=True, is_exporter=True)))
    assert client.get(reverse("trust:review_create", args=[lease.pk])).status_code == 404
    assert client.post(reverse("trust:review_create", args=[lease.pk]), {"rating": "1", "text": "x"}).status_code == 404
    assert Review.objects.count() == 1
