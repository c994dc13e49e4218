"""Cross-organisation matrix: every object endpoint × (own organisation, own read-only key,
another organisation, anonymous). Only the organisations of an object see it; others get 404 (the
API never confirms that another organisation's object exists), anonymous callers 401; writes with a
read-only key are refused with 403 ``read_only_key``."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from api.choices import KeyScope
from leasing import rules, transfers
from leasing.choices import LeaseState
from leasing.models import CheckInPhoto
from notifications.models import Notification
from tests.accounts.factories import OrganisationFactory
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.trust.factories import png
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from trust import services as trust_services
from trust.models import DisputeAttachment
from warehouses.choices import ListingStatus
from warehouses.services import capacity_exception_add


@dataclass
class World:
    keys: dict[str, str]
    paths: dict[str, str]


@pytest.fixture
def world(db) -> World:
    parties = Parties()
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    shipment = lease.shipments.get()
    dispute = trust_services.dispute_open(lease=lease, by=parties.exporter, reason="Crushed", evidence=[png()])
    attachment = DisputeAttachment.objects.get(message__dispute=dispute)
    photo = CheckInPhoto.objects.create(checkin=shipment.checkin, image=png("checkin.png"))
    notification = Notification.objects.create(user=parties.owner, kind="test", subject="Hello")
    private_warehouse = WarehouseFactory(organisation=parties.owner_org)
    draft = ListingFactory(warehouse=private_warehouse, status=ListingStatus.DRAFT)
    exception = capacity_exception_add(listing=draft, start=days_from_now(40), end=days_from_now(45), capacity=0)
    other = OrganisationFactory(is_owner=True, is_exporter=True)
    # A paid lease with an open transfer offer (to anyone with its key, which ``other`` does not have).
    funded = parties.lease_in(LeaseState.FUNDED, start=days_from_now(20), end=days_from_now(30), quantity=1)
    transfer = transfers.transfer_offer(
        lease=funded, by=parties.exporter, quantity=1, start=rules.transfer_earliest(funded), price=Decimal("9.00")
    )
    keys = {
        "owner": key_for(parties.owner_org, user=parties.owner),
        "owner_read": key_for(parties.owner_org, user=parties.owner, scope=KeyScope.READ),
        "exporter": key_for(parties.exporter_org, user=parties.exporter),
        "exporter_read": key_for(parties.exporter_org, user=parties.exporter, scope=KeyScope.READ),
        "other": key_for(other),
    }
    paths = {
        "lease": f"/api/v1/leases/{lease.pk}/",
        "shipment": f"/api/v1/shipments/{shipment.pk}/",
        "dispute": f"/api/v1/disputes/{dispute.pk}/",
        "attachment": f"/api/v1/dispute-attachments/{attachment.pk}/",
        "checkin_photo": f"/api/v1/checkin-photos/{photo.pk}/",
        "notification": f"/api/v1/notifications/{notification.pk}/",
        "draft": f"/api/v1/listings/{draft.pk}/",
        "exception": f"/api/v1/listings/{draft.pk}/exceptions/{exception.pk}/",
        "private_warehouse": f"/api/v1/warehouses/{private_warehouse.pk}/",
        "listing": f"/api/v1/listings/{parties.listing.pk}/",
        "warehouse": f"/api/v1/warehouses/{parties.listing.warehouse_id}/",
        "funded": f"/api/v1/leases/{funded.pk}/",
        "transfer": f"/api/v1/transfers/{transfer.pk}/",
    }
    return World(keys=keys, paths=paths)


# (object, suffix, the sides that take part in it)
BOTH, OWNER = ("owner", "exporter"), ("owner",)
READS = [
    ("lease", "", BOTH),
    ("lease", "events/", BOTH),
    ("lease", "escrow/", BOTH),
    ("lease", "shipments/", BOTH),
    ("lease", "cancellation/", BOTH),
    ("lease", "reviews/", BOTH),
    ("dispute", "", BOTH),
    ("attachment", "", BOTH),
    ("funded", "transfers/", BOTH),
    ("funded", "transfer-quote/", BOTH),
    ("transfer", "", BOTH),
    ("shipment", "", BOTH),
    ("shipment", "events/", BOTH),
    ("shipment", "checkin/", BOTH),
    ("checkin_photo", "", BOTH),
    ("draft", "", OWNER),
    ("draft", "calendar/", OWNER),
    ("draft", "exceptions/", OWNER),
    ("exception", "", OWNER),
    ("private_warehouse", "", OWNER),
]
# Public objects (an active listing, its warehouse) are readable by anyone: not in this matrix.
# Endpoints that anyone may read answer 404 for a private object, the others 401 without credentials.
PUBLIC_READS = {("draft", ""), ("draft", "calendar/"), ("private_warehouse", "")}


@pytest.mark.parametrize(("obj", "suffix", "sides"), READS, ids=[f"{o}/{s}" for o, s, _ in READS])
def test_reads(world, obj, suffix, sides):
    path = world.paths[obj] + suffix
    for side in sides:
        assert client_with(world.keys[side]).get(path).status_code == 200, (side, path)
        assert client_with(world.keys[f"{side}_read"]).get(path).status_code == 200, (side, "read key", path)
    if "exporter" not in sides:
        response = client_with(world.keys["exporter"]).get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    response = client_with(world.keys["other"]).get(path)
    assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    anonymous = client_with().get(path)
    expected = 404 if (obj, suffix) in PUBLIC_READS else 401
    assert anonymous.status_code == expected, path
    if expected == 401:
        assert anonymous.json()["code"] == "not_authenticated"
        assert anonymous["WWW-Authenticate"] == "Api-Key"


WRITES = [
    ("patch", "draft", "", {"title": "Renamed"}, OWNER),
    ("post", "draft", "status/", {"status": "active"}, OWNER),
    ("post", "draft", "exceptions/", {"start": "2030-01-01", "end": "2030-01-02", "capacity": 0}, OWNER),
    ("delete", "exception", "", None, OWNER),
    ("patch", "private_warehouse", "", {"name": "Renamed"}, OWNER),
    ("patch", "listing", "", {"title": "Renamed"}, OWNER),
    ("patch", "warehouse", "", {"name": "Renamed"}, OWNER),
    ("post", "lease", "accept/", None, BOTH),
    ("post", "lease", "decline/", {"reason": "No"}, BOTH),
    ("post", "lease", "withdraw/", None, BOTH),
    ("post", "lease", "pay/", {"payment_method": "pm_card_visa"}, BOTH),
    ("post", "lease", "confirm/", None, BOTH),
    ("post", "lease", "dispute/", {"reason": "Missing boxes"}, BOTH),
    ("post", "lease", "cancel/", {}, BOTH),
    ("post", "lease", "extend/", {"end": "2030-01-01"}, BOTH),
    ("post", "lease", "reviews/", {"rating": 5, "text": "Good"}, BOTH),
    ("post", "dispute", "messages/", {"body": "See the photo"}, BOTH),
    ("post", "notification", "read/", None, OWNER),
    (
        "post",
        "lease",
        "shipments/",
        {"carrier": "X", "tracking_number": "1", "eta": "2030-01-01", "lines": [{"description": "A", "quantity": 1}]},
        BOTH,
    ),
    (
        "post",
        "funded",
        "transfers/",
        {"quantity": 1, "start": "2030-01-01", "price": "9.00"},
        BOTH,
    ),
    ("post", "transfer", "accept/", {}, BOTH),
    ("post", "transfer", "consent/", {"decision": "approve"}, BOTH),
    ("post", "transfer", "withdraw/", None, BOTH),
    ("post", "shipment", "status/", {"status": "arrived"}, BOTH),
    ("post", "shipment", "checkin/", {"received": [{"line": 1, "quantity": 1}]}, BOTH),
]


@pytest.mark.parametrize(
    ("method", "obj", "suffix", "body", "sides"), WRITES, ids=[f"{m} {o}/{s}" for m, o, s, _, _ in WRITES]
)
def test_writes(world, method, obj, suffix, body, sides):
    path = world.paths[obj] + suffix

    def call(key):
        return getattr(client_with(key), method)(path, body, format="json")

    for side in sides:
        refused = call(world.keys[f"{side}_read"])
        assert (refused.status_code, refused.json()["code"]) == (403, "read_only_key"), (side, path)
    if "exporter" not in sides:
        response = call(world.keys["exporter"])
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    response = call(world.keys["other"])
    assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    anonymous = call(None)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated"), path


def test_lists_show_only_own_objects(world):
    other = client_with(world.keys["other"])
    for path, count in (("/api/v1/leases/", 2), ("/api/v1/shipments/", 1), ("/api/v1/transfers/", 1)):
        assert other.get(path).json()["results"] == []
        assert len(client_with(world.keys["owner"]).get(path).json()["results"]) == count
        assert len(client_with(world.keys["exporter"]).get(path).json()["results"]) == count
    draft_id = int(world.paths["draft"].rstrip("/").rsplit("/", 1)[1])
    assert draft_id not in [row["id"] for row in other.get("/api/v1/listings/").json()["results"]]
    mine = client_with(world.keys["owner"]).get("/api/v1/listings/", {"mine": "true"}).json()["results"]
    assert draft_id in [row["id"] for row in mine]
    for path in ("/api/v1/leases/", "/api/v1/shipments/", "/api/v1/transfers/", "/api/v1/me/"):
        assert client_with().get(path).status_code == 401
