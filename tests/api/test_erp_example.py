"""The ERP integration example of docs/api.md (docs/examples/erp_sync.py), run with real HTTP
against the live test server: the lease ends funded with its shipment announced."""

import importlib.util
from pathlib import Path

import pytest

from leasing.choices import LeaseState, ShipmentStatus
from leasing.models import Lease
from tests.api.conftest import key_for
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "erp_sync.py"


def _load():
    spec = importlib.util.spec_from_file_location("erp_sync", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


erp = _load()


@pytest.fixture
def throttles_off(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


def test_the_erp_script_books_pays_and_announces(live_server, transactional_db, throttles_off):
    parties = Parties(capacity=20)
    exporter = erp.Wareshare(live_server.url, key_for(parties.exporter_org, user=parties.exporter))
    owner = erp.Wareshare(live_server.url, key_for(parties.owner_org, user=parties.owner))
    start, end = days_from_now(5), days_from_now(20)

    found = erp.find_space(exporter, start=start, end=end, quantity=5)
    assert found["listing"]["id"] == parties.listing.pk
    lease = erp.request_lease(
        exporter, listing=found["listing"]["id"], start=start, end=end, quantity=5, goods="Chairs", order="PO-1"
    )
    assert lease["state"] == "requested"
    assert (
        erp.request_lease(  # a retry of the same order is the same lease
            exporter, listing=found["listing"]["id"], start=start, end=end, quantity=5, goods="Chairs", order="PO-1"
        )["id"]
        == lease["id"]
    )

    owner.post(f"/leases/{lease['id']}/accept/")  # the owner, with its own key
    assert erp.wait_for_state(exporter, lease["id"], {"accepted"}, timeout=5, every=0.1)["state"] == "accepted"
    paid = erp.pay(exporter, lease["id"], order="PO-1")
    assert paid["lease"]["state"] == "funded"
    shipment = erp.announce_shipment(
        exporter,
        lease["id"],
        order="PO-1",
        carrier="Maersk",
        tracking="MSKU7654321",
        eta=start,
        lines=[{"description": "Chairs", "quantity": 5}],
    )
    assert shipment["status"] == ShipmentStatus.ANNOUNCED

    events = list(erp.lease_events(exporter, lease["id"]))
    changes = [e["to_state"] for e in events if e["from_state"] != e["to_state"]]
    assert changes == ["requested", "accepted", "funded"], events
    assert "Shipment announced: Maersk MSKU7654321" in events[-1]["note"]
    stored = Lease.objects.get(pk=lease["id"])
    assert stored.state == LeaseState.FUNDED
    assert list(stored.shipments.values_list("tracking_number", "status")) == [
        ("MSKU7654321", ShipmentStatus.ANNOUNCED)
    ]


def test_the_erp_script_main_with_an_instant_book_listing(live_server, transactional_db, throttles_off, monkeypatch):
    """The command of docs/api.md, end to end: instant booking needs no owner in the loop."""
    parties = Parties(capacity=20, instant_book=True)
    monkeypatch.setenv("WARESHARE_URL", live_server.url)
    monkeypatch.setenv("WARESHARE_KEY", key_for(parties.exporter_org, user=parties.exporter))
    start, end = days_from_now(5), days_from_now(20)
    argv = ["--order", "PO-2", "--start", start.isoformat(), "--end", end.isoformat(), "--quantity", "3"]

    assert erp.main([*argv, "--poll", "0.1"]) == 0

    lease = Lease.objects.get(exporter=parties.exporter_org)
    assert lease.state == LeaseState.FUNDED
    assert lease.shipments.get().status == ShipmentStatus.ANNOUNCED


def test_the_erp_script_syncs_stock_and_orders_goods_out(live_server, transactional_db, throttles_off, capsys):
    parties = Parties(capacity=20)
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    exporter = erp.Wareshare(live_server.url, key_for(parties.exporter_org, user=parties.exporter))
    assert erp.stock_by_sku(exporter) == {
        "CH-1": {"on_hand": 40, "held": 0, "available": 40},
        "TB-1": {"on_hand": 10, "held": 0, "available": 10},
    }
    consignee = {
        "consignee_name": "Müller GmbH",
        "consignee_address": "Hafenstraße 1",
        "consignee_country": "DE",
        "consignee_phone": "+49 40 123456",
    }
    order = erp.order_out(exporter, lease.pk, order="SO-1", lines={"CH-1": 4}, consignee=consignee)
    again = erp.order_out(exporter, lease.pk, order="SO-1", lines={"CH-1": 4}, consignee=consignee)
    assert (order["status"], again["id"]) == ("requested", order["id"])
    with pytest.raises(erp.ApiError) as refused:
        erp.order_out(exporter, lease.pk, order="SO-2", lines={"CH-1": 37}, consignee=consignee)
    assert refused.value.status == 409
