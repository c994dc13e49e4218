"""The lease walk of the spine, through the API alone: owner lists space, exporter books and pays,
goods arrive and are counted in, the exporter confirms, the owner is paid."""

from decimal import Decimal

import pytest

from escrow.choices import PayoutStatus
from escrow.ledger import escrow_held
from leasing.models import Lease
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_lease_walk_through_the_api(parties, owner_api, exporter_api, django_capture_on_commit_callbacks):
    warehouse = _ok(
        owner_api.post(
            "/api/v1/warehouses/",
            {
                "name": "Waalhaven DC",
                "address": "Waalhaven Oostzijde 2",
                "city": "Rotterdam",
                "country": "NL",
                "latitude": 51.89,
                "longitude": 4.43,
                "nearest_port": "NLRTM",
                "timezone": "Europe/Amsterdam",
                "customs_status": "general",
                "forklift": True,
            },
            format="json",
        ),
        201,
    )
    listing = _ok(
        owner_api.post(
            "/api/v1/listings/",
            {
                "warehouse": warehouse["id"],
                "title": "Racked pallet positions",
                "unit": "pallet",
                "capacity": 20,
                "price_per_unit_day": "2.00",
                "currency": "EUR",
                "handling_in_fee": "5.00",
                "handling_out_fee": "5.00",
                "min_days": 1,
                "max_days": 90,
                "available_from": days_from_now(0).isoformat(),
            },
            format="json",
        ),
        201,
    )
    assert listing["status"] == "draft"
    assert (
        _ok(owner_api.post(f"/api/v1/listings/{listing['id']}/status/", {"status": "active"}, format="json"))["status"]
        == "active"
    )

    start, end = days_from_now(5), days_from_now(34)
    found = _ok(
        exporter_api.get(
            "/api/v1/search/",
            {"port": "NLRTM", "start": start, "end": end, "quantity": 5, "features": "forklift"},
        )
    )
    result = next(r for r in found["results"] if r["listing"]["id"] == listing["id"])
    assert result["free_units"] == 20
    quote = result["quote"]

    lease = _ok(
        exporter_api.post(
            "/api/v1/leases/",
            {
                "listing": listing["id"],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "quantity": 5,
                "goods_description": "Garden chairs, 40 cartons",
            },
            format="json",
        ),
        201,
    )
    assert (lease["state"], lease["total"], lease["side"]) == ("requested", quote["total"], "exporter")
    url = f"/api/v1/leases/{lease['id']}"

    assert _ok(owner_api.post(f"{url}/accept/"))["state"] == "accepted"
    paid = _ok(exporter_api.post(f"{url}/pay/", {"payment_method": "pm_card_visa"}, format="json"))
    assert (paid["lease"]["state"], paid["payment"]["status"]) == ("funded", "succeeded")

    shipment = _ok(
        exporter_api.post(
            f"{url}/shipments/",
            {
                "carrier": "Maersk",
                "tracking_number": "MSKU1234567",
                "eta": start.isoformat(),
                "lines": [
                    {"description": "Garden chairs", "quantity": 40, "sku": "CH-1"},
                    {"description": "Garden tables", "quantity": 10},
                ],
            },
            format="json",
        ),
        201,
    )
    shipment_url = f"/api/v1/shipments/{shipment['id']}"
    assert _ok(owner_api.post(f"{shipment_url}/status/", {"status": "in_transit"}, format="json"))["status"] == (
        "in_transit"
    )
    assert _ok(owner_api.post(f"{shipment_url}/status/", {"status": "arrived"}, format="json"))["status"] == "arrived"
    received = [{"line": line["id"], "quantity": line["quantity"]} for line in shipment["lines"]]
    checkin = _ok(owner_api.post(f"{shipment_url}/checkin/", {"received": received}, format="json"), 201)
    assert (checkin["received_total"], checkin["within_tolerance"]) == (50, True)
    assert _ok(exporter_api.get(f"{url}/"))["state"] == "checked_in"

    with django_capture_on_commit_callbacks(execute=True):
        assert _ok(exporter_api.post(f"{url}/confirm/"))["state"] == "active"

    escrow = _ok(exporter_api.get(f"{url}/escrow/"))
    assert escrow["held"] == "0.00"
    assert [payout["status"] for payout in escrow["payouts"]] == [PayoutStatus.PAID]
    assert Decimal(escrow["payouts"][0]["amount"]) == Decimal(lease["total"]) - Decimal(lease["platform_fee"])
    assert [p["description"].split(": ")[1] for p in escrow["postings"]] == [
        "exporter paid into escrow",
        "released to owner",
        "transferred to owner",
    ]
    assert escrow_held(Lease.objects.get(pk=lease["id"]).escrow) == 0

    timeline = _ok(owner_api.get(f"{shipment_url}/events/"))["results"]
    assert [step["status"] for step in timeline] == ["announced", "in_transit", "arrived", "checked_in"]
    states = [
        e["to_state"] for e in _ok(owner_api.get(f"{url}/events/"))["results"] if e["from_state"] != e["to_state"]
    ]
    assert states == ["requested", "accepted", "funded", "checked_in", "active"]
