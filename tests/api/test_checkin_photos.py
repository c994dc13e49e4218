"""Check-in photos through the API: multipart check-in with photos (``received`` as JSON text),
the same limits as the page, nothing written on a bad upload, and downloads for the two sides only."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leasing import services
from leasing.choices import LeaseState, ShipmentStatus
from leasing.exceptions import InvalidShipment
from leasing.models import CheckIn, CheckInPhoto, InboundShipment
from tests.accounts.factories import OrganisationFactory
from tests.api.conftest import client_with, key_for
from tests.trust.factories import not_an_image, pdf, png
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _arrived(parties, **kwargs) -> InboundShipment:
    lease = parties.lease_in(LeaseState.FUNDED, **kwargs)
    shipment = parties.walker.announce(lease)
    services.shipment_mark(shipment=shipment, by=parties.owner, status="in_transit")
    services.shipment_mark(shipment=shipment, by=parties.owner, status="arrived")
    return shipment


def _received(shipment: InboundShipment) -> list[dict[str, int]]:
    return [{"line": line.pk, "quantity": line.quantity} for line in shipment.lines.all()]


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_multipart_checkin_with_photos_and_received_as_json_text(parties, owner_api, exporter_api):
    shipment = _arrived(parties)
    response = owner_api.post(
        f"/api/v1/shipments/{shipment.pk}/checkin/",
        {"received": json.dumps(_received(shipment)), "condition": "good", "photos": [png("a.png"), png("b.jpg")]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["received_total"] == 50
    photos = body["photos"]
    assert [p["content_type"] for p in photos] == ["image/png", "image/png"]  # by the bytes, not the name
    stored = CheckInPhoto.objects.filter(checkin__shipment=shipment).order_by("pk")
    assert [p["size"] for p in photos] == [photo.image.size for photo in stored]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CHECKED_IN
    assert CheckInPhoto.objects.filter(checkin__shipment=shipment).count() == 2

    for api in (owner_api, exporter_api):
        shown = api.get(f"/api/v1/shipments/{shipment.pk}/checkin/").json()
        assert [p["id"] for p in shown["photos"]] == [p["id"] for p in photos]
        download = api.get(photos[0]["url"])
        assert download.status_code == 200
        assert download["Content-Type"] == "image/png"
        assert download["Cache-Control"] == "private, no-store"
        assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_json_checkin_still_works_without_photos(parties, owner_api):
    shipment = _arrived(parties)
    response = owner_api.post(
        f"/api/v1/shipments/{shipment.pk}/checkin/", {"received": _received(shipment)}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["photos"] == []


def test_a_photo_is_404_for_another_organisation_and_401_anonymous(parties, owner_api):
    shipment = _arrived(parties)
    services.checkin_record(
        shipment=shipment,
        by=parties.owner,
        received={line.pk: line.quantity for line in shipment.lines.all()},
        photos=[png()],
    )
    photo = CheckInPhoto.objects.get(checkin__shipment=shipment)
    path = f"/api/v1/checkin-photos/{photo.pk}/"

    assert owner_api.get(path).status_code == 200
    other = client_with(key_for(OrganisationFactory(is_owner=True, is_exporter=True))).get(path)
    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    assert client_with().get(path).status_code == 401
    missing = owner_api.get(f"/api/v1/checkin-photos/{photo.pk + 1000}/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("photos", "problem"),
    [
        (lambda: [not_an_image("photo.png")], "not_an_image"),
        (lambda: [pdf("scan.pdf")], "wrong_type"),
        (lambda: [png("pallet.gif")], "wrong_extension"),
        (lambda: [png("big.png")], "too_large"),
        (lambda: [png(f"p{i}.png") for i in range(services.CHECKIN_PHOTOS_MAX + 1)], "too_many"),
        (lambda: [SimpleUploadedFile("empty.png", b"", content_type="image/png")], "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(parties, owner_api, monkeypatch, photos, problem):
    if problem == "too_large":
        monkeypatch.setattr("warehouses.validators.MAX_PHOTO_BYTES", 10)
    shipment = _arrived(parties)
    before = _media_files()
    response = owner_api.post(
        f"/api/v1/shipments/{shipment.pk}/checkin/",
        {"received": json.dumps(_received(shipment)), "photos": photos()},
        format="multipart",
    )

    assert response.status_code == 400, (problem, response.content)
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert "photos" in body["fields"], body
    assert not CheckIn.objects.filter(shipment=shipment).exists()
    assert CheckInPhoto.objects.count() == 0
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ARRIVED
    assert _media_files() == before


def test_the_page_takes_no_more_photos_than_the_api(parties):
    """The count limit is the service's, so the check-in page refuses the same."""
    shipment = _arrived(parties)
    with pytest.raises(InvalidShipment, match="at most"):
        services.checkin_record(
            shipment=shipment,
            by=parties.owner,
            received={line.pk: line.quantity for line in shipment.lines.all()},
            photos=[png(f"p{i}.png") for i in range(services.CHECKIN_PHOTOS_MAX + 1)],
        )
    assert not CheckIn.objects.filter(shipment=shipment).exists()


@pytest.mark.parametrize("received", ["not json", '{"line": 1}', "[]"])
def test_received_as_bad_json_text_is_a_clear_400(parties, owner_api, received):
    shipment = _arrived(parties)
    response = owner_api.post(f"/api/v1/shipments/{shipment.pk}/checkin/", {"received": received}, format="multipart")
    assert response.status_code == 400
    assert "received" in response.json()["fields"]


def test_photos_in_shipment_lists_take_constant_queries(parties, owner_api):
    def checked_in(n_photos: int, offset: int) -> InboundShipment:
        shipment = _arrived(parties, start=days_from_now(3 + offset), end=days_from_now(10 + offset), quantity=1)
        services.checkin_record(
            shipment=shipment,
            by=parties.owner,
            received={line.pk: line.quantity for line in shipment.lines.all()},
            photos=[png(f"p{i}.png") for i in range(n_photos)],
        )
        return shipment

    def count() -> tuple[int, int]:
        owner_api.get("/api/v1/shipments/")  # warm up (the key's last_used_at)
        with CaptureQueriesContext(connection) as queries:
            response = owner_api.get("/api/v1/shipments/")
        photos = sum(len(row["checkin"]["photos"]) for row in response.json()["results"] if row["checkin"])
        return len(queries), photos

    checked_in(1, 0)
    few = count()
    for i in range(1, 4):
        checked_in(3, 10 * i)
    many = count()
    assert (few[1], many[1]) == (1, 10)
    assert few[0] == many[0], (few, many)
