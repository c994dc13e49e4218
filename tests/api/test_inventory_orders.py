"""Outbound orders over the API: create, each step, the errors, Idempotency-Key; ``actions`` is
``inventory.rules.order_allowed`` (parity with the pages and the schema); and the webhook events
(``stock.moved``, ``order.*``) recorded with their payloads."""

import json
from pathlib import Path

import pytest
import yaml

from api.models import WebhookDelivery
from inventory import rules
from inventory.models import OutboundOrder, Product, StockLevel, StockMovement
from leasing.choices import LeaseState
from tests.api.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "schema" / "openapi.yaml").read_text())
CONSIGNEE = {
    "consignee_name": "Müller GmbH",
    "consignee_address": "Hafenstraße 1",
    "consignee_city": "Hamburg",
    "consignee_country": "DE",
    "consignee_phone": "+49 40 123456",
}


@pytest.fixture
def lease(parties):
    return parties.lease_in(LeaseState.CHECKED_IN)


def _order(client, lease, lines=(("CH-1", 5),), **fields):
    body = {"kind": "ship", "reference": "PO-1", **CONSIGNEE, **fields}
    body["lines"] = [{"sku": sku, "quantity": quantity} for sku, quantity in lines]
    return client.post(f"/api/v1/leases/{lease.pk}/orders/", body, format="json")


def _level(lease, sku="CH-1") -> StockLevel:
    return StockLevel.objects.get(lease=lease, product__sku=sku)


def test_an_order_walks_from_request_to_delivery(lease, owner_api, exporter_api):
    created = _order(exporter_api, lease)
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["status"], order["side"], order["reference"]) == ("requested", "exporter", "PO-1")
    assert [(line["product"]["sku"], line["quantity"]) for line in order["lines"]] == [("CH-1", 5)]
    assert order["actions"] == ["cancel"]
    assert [event["status"] for event in order["events"]] == ["requested"]
    path = f"/api/v1/orders/{order['id']}/"
    assert owner_api.get(path).json()["actions"] == ["accept", "refuse"]

    accepted = owner_api.post(f"{path}accept/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted"), accepted.content
    assert (_level(lease).on_hand, _level(lease).held) == (40, 5)
    assert owner_api.post(f"{path}pick/").json()["status"] == "picked"
    shipped = owner_api.post(f"{path}ship/", {"carrier": "DHL", "tracking_number": "JD0001"}, format="json")
    assert shipped.status_code == 200, shipped.content
    assert (shipped.json()["carrier"], shipped.json()["tracking_number"]) == ("DHL", "JD0001")
    assert (_level(lease).on_hand, _level(lease).held) == (35, 0)
    assert StockMovement.objects.filter(order_id=order["id"], kind="shipped").get().quantity == -5
    delivered = exporter_api.post(f"{path}deliver/")
    assert delivered.json()["status"] == "delivered", delivered.content

    final = exporter_api.get(path).json()
    assert [event["status"] for event in final["events"]] == ["requested", "accepted", "picked", "shipped", "delivered"]
    assert final["actions"] == []
    listed = exporter_api.get("/api/v1/orders/", {"status": "delivered"}).json()["results"]
    assert [row["id"] for row in listed] == [order["id"]]
    assert owner_api.get("/api/v1/orders/", {"status": "requested"}).json()["results"] == []
    assert [row["id"] for row in owner_api.get(f"/api/v1/leases/{lease.pk}/orders/").json()["results"]] == [order["id"]]


def test_cancel_and_refuse_free_the_held_stock(lease, owner_api, exporter_api):
    first = _order(exporter_api, lease).json()
    owner_api.post(f"/api/v1/orders/{first['id']}/accept/")
    cancelled = exporter_api.post(f"/api/v1/orders/{first['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled", cancelled.content
    assert _level(lease).held == 0

    second = _order(exporter_api, lease, lines=[("TB-1", 10)]).json()
    missing = owner_api.post(f"/api/v1/orders/{second['id']}/refuse/", {}, format="json")
    assert (missing.status_code, list(missing.json()["fields"])) == (400, ["reason"])
    refused = owner_api.post(f"/api/v1/orders/{second['id']}/refuse/", {"reason": "Blocked aisle"}, format="json")
    assert (refused.json()["status"], refused.json()["refuse_reason"]) == ("refused", "Blocked aisle")


def test_a_removal_takes_everything_on_hand(lease, exporter_api):
    response = exporter_api.post(f"/api/v1/leases/{lease.pk}/orders/", {"kind": "removal"}, format="json")
    assert response.status_code == 201, response.content
    assert sorted((line["product"]["sku"], line["quantity"]) for line in response.json()["lines"]) == [
        ("CH-1", 40),
        ("TB-1", 10),
    ]


@pytest.mark.parametrize(
    ("lines", "fields", "status"),
    [
        ([("NOPE-1", 1)], {}, 400),  # an unknown SKU
        ([("CH-1", 41)], {}, 409),  # above what is on hand
        ([("CH-1", 0)], {}, 400),
        ([("CH-1", -2)], {}, 400),
        ([("CH-1", 1), ("ch-1", 1)], {}, 400),  # the same SKU twice
        ([("CH-1", 1)], {"consignee_country": "XX"}, 400),
        ([("CH-1", 1)], {"consignee_name": ""}, 400),  # a shipment needs its consignee
        ([], {}, 400),
        ([("CH-1", 1)], {"kind": "teleport"}, 400),
    ],
)
def test_bad_orders_write_nothing(lease, exporter_api, lines, fields, status):
    response = _order(exporter_api, lease, lines=lines, **fields)
    assert response.status_code == status, response.content
    assert {"code", "detail"} <= set(response.json())
    assert not OutboundOrder.objects.exists()


def test_steps_out_of_turn(lease, owner_api, exporter_api):
    order = _order(exporter_api, lease).json()
    path = f"/api/v1/orders/{order['id']}/"
    other_side = exporter_api.post(f"{path}accept/")
    assert (other_side.status_code, other_side.json()["code"]) == (403, "not_allowed")
    too_early = owner_api.post(f"{path}ship/", {"carrier": "DHL", "tracking_number": "1"}, format="json")
    assert (too_early.status_code, too_early.json()["code"]) == (409, "invalid_order_step")
    no_tracking = owner_api.post(f"{path}ship/", {"carrier": "DHL"}, format="json")
    assert (no_tracking.status_code, list(no_tracking.json()["fields"])) == (400, ["tracking_number"])
    owner_api.post(f"{path}accept/")
    assert _level(lease).held == 5
    # A second order for more than is left is refused.
    assert _order(exporter_api, lease, lines=[("CH-1", 36)]).status_code == 409


def test_order_creation_is_the_exporters(lease, owner_api):
    response = _order(owner_api, lease)
    assert (response.status_code, response.json()["code"]) == (403, "not_allowed")
    assert not OutboundOrder.objects.exists()


def test_steps_take_an_idempotency_key(lease, owner_api, exporter_api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-po-1"}
    path = f"/api/v1/leases/{lease.pk}/orders/"
    body = {"kind": "ship", **CONSIGNEE, "lines": [{"sku": "CH-1", "quantity": 2}]}
    first = exporter_api.post(path, body, format="json", **headers)
    again = exporter_api.post(path, body, format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert OutboundOrder.objects.count() == 1
    step = f"/api/v1/orders/{first.json()['id']}/accept/"
    assert owner_api.post(step, **{"HTTP_IDEMPOTENCY_KEY": "accept-1"}).status_code == 200
    replay = owner_api.post(step, **{"HTTP_IDEMPOTENCY_KEY": "accept-1"})
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (200, "true")
    assert _level(lease).held == 2


# --- Parity: actions are the rules' ----------------------------------------------------------


def test_actions_are_order_allowed_for_each_side_in_each_status(lease, owner_api, exporter_api):
    order_id = _order(exporter_api, lease).json()["id"]
    path = f"/api/v1/orders/{order_id}/"
    for step, client in (("accept", owner_api), ("pick", owner_api), ("ship", owner_api), ("deliver", owner_api)):
        order = OutboundOrder.objects.get(pk=order_id)
        assert exporter_api.get(path).json()["actions"] == rules.order_allowed(order, "exporter")
        assert owner_api.get(path).json()["actions"] == rules.order_allowed(order, "owner")
        body = {"carrier": "DHL", "tracking_number": "1"} if step == "ship" else {}
        assert client.post(f"{path}{step}/", body, format="json").status_code == 200
    order = OutboundOrder.objects.get(pk=order_id)
    assert owner_api.get(path).json()["actions"] == rules.order_allowed(order, "owner") == []


def test_every_order_step_has_an_api_operation():
    steps = set(rules.ORDER_STEPS)
    assert steps == {"cancel", "accept", "refuse", "pick", "ship", "deliver"}
    missing = [step for step in steps if "post" not in SCHEMA["paths"].get(f"/api/v1/orders/{{id}}/{step}/", {})]
    assert missing == []
    assert "post" in SCHEMA["paths"]["/api/v1/leases/{id}/orders/"]
    assert "post" in SCHEMA["paths"]["/api/v1/leases/{id}/adjustments/"]


# --- Webhook events ---------------------------------------------------------------------------


def _events(endpoint, prefix=""):
    bodies = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("body", flat=True)
    return [event for event in map(json.loads, bodies) if event["type"].startswith(prefix)]


def test_webhook_events_of_stock_and_orders(parties, owner_api, exporter_api):
    exporter_hook = WebhookEndpointFactory(organisation=parties.exporter_org)
    owner_hook = WebhookEndpointFactory(organisation=parties.owner_org)
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    received = _events(exporter_hook, "stock.")
    assert sorted((e["data"]["movement"]["product"]["sku"], e["data"]["movement"]["quantity"]) for e in received) == [
        ("CH-1", 40),
        ("TB-1", 10),
    ]
    chairs = next(e for e in received if e["data"]["movement"]["product"]["sku"] == "CH-1")["data"]
    assert chairs["movement"]["kind"] == "received"
    assert chairs["movement"]["lease"] == lease.pk
    assert chairs["movement"]["warehouse"] == parties.listing.warehouse_id
    assert chairs["stock"] == {"on_hand": 40, "held": 0, "available": 40}
    assert _events(owner_hook, "stock.") == []  # the exporter's goods: told to the exporter

    order = _order(exporter_api, lease).json()
    path = f"/api/v1/orders/{order['id']}/"
    owner_api.post(f"{path}accept/")
    owner_api.post(f"{path}pick/")
    owner_api.post(f"{path}ship/", {"carrier": "DHL", "tracking_number": "JD0001"}, format="json")
    for hook in (exporter_hook, owner_hook):
        types = [event["type"] for event in _events(hook, "order.")]
        assert types == ["order.requested", "order.accepted", "order.picked", "order.shipped"]
    shipped = _events(owner_hook, "order.")[-1]["data"]
    assert shipped["from_status"] == "picked"
    assert shipped["order"]["id"] == order["id"]
    assert (shipped["order"]["carrier"], shipped["order"]["tracking_number"]) == ("DHL", "JD0001")
    assert shipped["order"]["lines"] == [{"sku": "CH-1", "product": order["lines"][0]["product"]["id"], "quantity": 5}]
    assert _events(owner_hook, "order.")[0]["data"]["from_status"] is None
    out = _events(exporter_hook, "stock.")[-1]["data"]
    assert (out["movement"]["kind"], out["movement"]["quantity"], out["movement"]["order"]) == (
        "shipped",
        -5,
        order["id"],
    )
    assert out["stock"] == {"on_hand": 35, "held": 0, "available": 35}


def test_an_endpoint_may_choose_the_inventory_events(parties):
    hook = WebhookEndpointFactory(organisation=parties.exporter_org, events=["order.requested"])
    parties.lease_in(LeaseState.CHECKED_IN)
    assert _events(hook) == []
    assert Product.objects.filter(organisation=parties.exporter_org).count() == 2
