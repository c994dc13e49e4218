"""Disputes with evidence, the thread and its files, the resolution read by both sides, reviews,
notifications and the organisation's standing through the API: the page's services, the same
errors, nothing written on bad input, constant query counts on the lists."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leasing.choices import LeaseState as S
from notifications.models import Notification
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.trust.factories import not_an_image, pdf, png, staff_user
from trust import services as trust_services
from trust.choices import DisputeState, Outcome
from trust.models import Dispute, DisputeAttachment, DisputeMessage, Review

pytestmark = pytest.mark.django_db


def disputed(p: Parties) -> Dispute:
    lease = p.lease_in(S.CHECKED_IN)
    trust_services.dispute_open(lease=lease, by=p.exporter, reason="Two cartons crushed", evidence=[png()])
    return Dispute.objects.get(lease=lease)


def test_the_exporter_opens_a_dispute_with_evidence_files(parties, exporter_api):
    lease = parties.lease_in(S.CHECKED_IN)
    response = exporter_api.post(
        f"/api/v1/leases/{lease.pk}/dispute/",
        {"reason": "Crushed", "kind": "check_in", "claimed_amount": "5.00", "evidence": [png(), pdf()]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == S.DISPUTED
    dispute = Dispute.objects.get(lease=lease)
    assert dispute.claimed_amount == Decimal("5.00")
    assert sorted(DisputeAttachment.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([not_an_image()], "evidence_invalid"),
        ([SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")], "evidence_invalid"),
        ([png(f"p{n}.png") for n in range(7)], "invalid"),
    ],
    ids=["not really an image", "wrong type", "too many"],
)
def test_bad_evidence_is_a_clear_error_and_opens_nothing(parties, exporter_api, files, code):
    lease = parties.lease_in(S.CHECKED_IN)
    response = exporter_api.post(
        f"/api/v1/leases/{lease.pk}/dispute/", {"reason": "Crushed", "evidence": files}, format="multipart"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert not Dispute.objects.exists()
    assert not DisputeAttachment.objects.exists()
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN


def test_a_file_over_the_size_limit_is_refused(parties, exporter_api, settings, monkeypatch):
    monkeypatch.setattr("trust.validators.MAX_FILE_BYTES", 10)
    lease = parties.lease_in(S.CHECKED_IN)
    response = exporter_api.post(
        f"/api/v1/leases/{lease.pk}/dispute/", {"reason": "Crushed", "evidence": [png()]}, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, "evidence_invalid")
    assert "limit" in response.json()["detail"]
    assert not Dispute.objects.exists()


def test_both_sides_read_the_thread_write_in_it_and_download_its_files(parties, owner_api, exporter_api):
    dispute = disputed(parties)
    response = owner_api.post(
        f"/api/v1/disputes/{dispute.pk}/messages/", {"body": "Photo at unloading", "files": [png()]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["author_role"] == "owner"
    assert len(response.json()["attachments"]) == 1
    thread = exporter_api.get(f"/api/v1/disputes/{dispute.pk}/").json()
    assert [message["author_role"] for message in thread["messages"]] == ["exporter", "owner"]
    assert thread["resolution"] is None
    url = thread["messages"][1]["attachments"][0]["url"]
    download = exporter_api.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_an_empty_message_is_refused_and_writes_nothing(parties, exporter_api):
    dispute = disputed(parties)
    before = DisputeMessage.objects.count()
    response = exporter_api.post(f"/api/v1/disputes/{dispute.pk}/messages/", {"body": "  "}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "dispute_invalid")
    assert DisputeMessage.objects.count() == before


def test_the_resolution_is_read_by_both_sides_and_the_thread_then_closes(parties, owner_api, exporter_api):
    dispute = disputed(parties)
    trust_services.dispute_resolve(
        dispute=dispute, by=staff_user(), outcome=Outcome.RELEASE, note="The photos show the goods arrived whole."
    )
    for api in (owner_api, exporter_api):
        body = api.get(f"/api/v1/disputes/{dispute.pk}/").json()
        assert body["state"] == DisputeState.RESOLVED
        assert body["resolution"]["outcome"] == Outcome.RELEASE
        assert body["resolution"]["note"].startswith("The photos")
    response = exporter_api.post(f"/api/v1/disputes/{dispute.pk}/messages/", {"body": "But"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "dispute_invalid")


def test_reviews_after_completion_once_per_side(parties, owner_api, exporter_api):
    lease = parties.lease_in(S.COMPLETED)
    path = f"/api/v1/leases/{lease.pk}/reviews/"
    response = exporter_api.post(path, {"rating": 5, "text": "Quick check-in"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["subject_organisation"]["id"] == parties.owner_org.pk
    again = exporter_api.post(path, {"rating": 4, "text": "Again"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "review_invalid")
    assert Review.objects.count() == 1
    assert owner_api.post(path, {"rating": 4, "text": "Tidy pallets"}, format="json").status_code == 201
    assert [row["rating"] for row in owner_api.get(path).json()] == [5, 4]


@pytest.mark.parametrize("body", [{"rating": 0, "text": "x"}, {"rating": 6, "text": "x"}, {"rating": 5}])
def test_a_bad_review_is_a_field_error(parties, exporter_api, body):
    lease = parties.lease_in(S.COMPLETED)
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/reviews/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert response.json()["fields"]
    assert not Review.objects.exists()


def test_a_review_before_completion_is_refused(parties, exporter_api):
    lease = parties.lease_in(S.ACTIVE)
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/reviews/", {"rating": 5, "text": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "review_invalid")
    assert not Review.objects.exists()


def test_notifications_list_and_mark_read(parties, owner_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        parties.request()  # the owner is emailed about the request, and so notified
    rows = owner_api.get("/api/v1/notifications/").json()["results"]
    assert rows
    assert all(row["read_at"] is None for row in rows)
    first = rows[0]["id"]
    assert owner_api.post(f"/api/v1/notifications/{first}/read/").json()["read_at"] is not None
    assert owner_api.post("/api/v1/notifications/read/").status_code == 204
    assert not Notification.objects.filter(user=parties.owner, read_at=None).exists()


def test_another_persons_notification_is_a_404(parties, exporter_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        parties.request()
    mine = Notification.objects.filter(user=parties.owner).first()
    response = exporter_api.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    mine.refresh_from_db()
    assert mine.read_at is None


def test_standing_says_whether_money_can_move(parties, owner_api, exporter_api):
    owner = owner_api.get("/api/v1/me/standing/").json()
    assert owner["verification"]["status"] == "verified"
    assert owner["payout_account"]["payouts_enabled"] is True
    assert owner["blacklisted"] is False
    assert exporter_api.get("/api/v1/me/standing/").json()["payout_account"] is None


@pytest.mark.parametrize(("count"), [1, 4])
def test_lists_run_a_fixed_number_of_queries(django_assert_num_queries, django_capture_on_commit_callbacks, count):
    p = Parties(capacity=50)
    for _ in range(count):
        with django_capture_on_commit_callbacks(execute=True):
            lease = p.lease_in(S.CHECKED_IN)
            trust_services.dispute_open(lease=lease, by=p.exporter, reason="Crushed", evidence=[png()])
    api = client_with(key_for(p.exporter_org, user=p.exporter))
    with django_assert_num_queries(QUERIES["disputes"]):
        assert len(api.get("/api/v1/disputes/").json()["results"]) == count
    with django_assert_num_queries(QUERIES["notifications"]):
        assert len(api.get("/api/v1/notifications/").json()["results"]) >= count
    dispute = Dispute.objects.filter(lease__exporter=p.exporter_org).last()
    with django_assert_num_queries(QUERIES["dispute"]):
        api.get(f"/api/v1/disputes/{dispute.pk}/")


# The key (its last-used stamp is written on the first call only), then the rows; the detail adds
# its messages and their attachments, one query each.
QUERIES = {"disputes": 3, "notifications": 2, "dispute": 4}


def test_a_number_where_the_schema_says_text_is_refused(parties, exporter_api):
    """DRF would store the number as text; the schema says a string."""
    dispute = disputed(parties)
    before = DisputeMessage.objects.count()
    response = exporter_api.post(f"/api/v1/disputes/{dispute.pk}/messages/", {"body": 26080649934}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "body" in response.json()["fields"]
    assert DisputeMessage.objects.count() == before
