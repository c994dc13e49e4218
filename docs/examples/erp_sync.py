"""An exporter's ERP books warehouse space through the Wareshare API (docs/api.md, "Example").

One run, for one shipment the ERP has to store: find space, request a lease, wait for the owner to
accept, pay into escrow, announce the inbound shipment, then follow the lease's history. Each write
carries an ``Idempotency-Key`` derived from the ERP's order reference, so running it again after a
crash or a timeout repeats nothing.

    WARESHARE_URL=https://wareshare.example WARESHARE_KEY=wsk_... \\
        python docs/examples/erp_sync.py --order PO-4711 --start 2027-03-01 --end 2027-03-30 --quantity 5

With ``--stock`` it prints the stock per SKU instead (``stock_by_sku``, the stock sync), and
``order_out`` orders goods out of a lease to a consignee.

It needs only ``requests``. The API has no webhook-endpoint management (endpoints are registered
by an admin on /integrations/webhooks/), so this script follows ``GET /leases/{id}/events/``; a
server that can receive webhooks gets the same steps pushed (docs/api.md, "Webhooks").
"""

import argparse
import os
import sys
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import requests

TIMEOUT = 10  # seconds per request


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('detail')}")
        self.status, self.body = status, body


class Wareshare:
    """A thin client: the base URL, the API key, JSON in and out, errors as ``ApiError``."""

    def __init__(self, base_url: str, key: str, session: requests.Session | None = None) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Api-Key {key}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = path if path.startswith("http") else self.base + path
        return self._answer(self.session.get(url, params=params, timeout=TIMEOUT))

    def post(self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        return self._answer(self.session.post(self.base + path, json=body or {}, headers=headers, timeout=TIMEOUT))

    @staticmethod
    def _answer(response: requests.Response) -> dict[str, Any]:
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body


def find_space(
    api: Wareshare, *, start: date, end: date, quantity: int, port: str | None = None, unit: str | None = None
) -> dict[str, Any]:
    """The cheapest listing with ``quantity`` units free on every day (``GET /search/``)."""
    params = {"start": start.isoformat(), "end": end.isoformat(), "quantity": quantity, "sort": "price"}
    if port:
        params["port"] = port
    if unit:
        params["unit"] = unit
    results = api.get("/search/", params)["results"]
    if not results:
        raise LookupError("No space found for these dates and quantity.")
    return results[0]


def request_lease(
    api: Wareshare, *, listing: int, start: date, end: date, quantity: int, goods: str, order: str
) -> dict[str, Any]:
    """Ask the owner for the space (``POST /leases/``); the lease starts ``requested``."""
    body = {
        "listing": listing,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "quantity": quantity,
        "goods_description": goods,
        "message": f"ERP order {order}",
    }
    return api.post("/leases/", body, key=f"{order}:request")


def wait_for_state(
    api: Wareshare, lease: int, states: set[str], *, timeout: float = 3600, every: float = 30
) -> dict[str, Any]:
    """Poll the lease until it is in one of ``states`` (e.g. the owner accepted)."""
    deadline = time.monotonic() + timeout
    while True:
        current = api.get(f"/leases/{lease}/")
        if current["state"] in states:
            return current
        if current["state"] in {"declined", "expired", "cancelled"} or time.monotonic() > deadline:
            raise RuntimeError(f"Lease {lease} is {current['state']}, not one of {sorted(states)}.")
        time.sleep(every)


def pay(api: Wareshare, lease: int, *, order: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
    """Pay into escrow (``POST /leases/{id}/pay/``): the lease becomes ``funded``. ``pm_card_visa``
    is the simulated gateway's card; in production use a saved Stripe payment method."""
    return api.post(f"/leases/{lease}/pay/", {"payment_method": payment_method}, key=f"{order}:pay")


def announce_shipment(
    api: Wareshare, lease: int, *, order: str, carrier: str, tracking: str, eta: date, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """Tell the owner what is coming (``POST /leases/{id}/shipments/``)."""
    body = {"carrier": carrier, "tracking_number": tracking, "eta": eta.isoformat(), "lines": lines}
    return api.post(f"/leases/{lease}/shipments/", body, key=f"{order}:shipment:{tracking}")


def lease_events(api: Wareshare, lease: int) -> Iterator[dict[str, Any]]:
    """Every step of the lease so far, oldest first, following the ``next`` links."""
    page: dict[str, Any] | None = api.get(f"/leases/{lease}/events/")
    while page:
        yield from page["results"]
        page = api.get(page["next"]) if page["next"] else None


def pages(api: Wareshare, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every row of a list, following the ``next`` links."""
    page: dict[str, Any] | None = api.get(path, params)
    while page:
        yield from page["results"]
        page = api.get(page["next"]) if page["next"] else None


def stock_by_sku(api: Wareshare) -> dict[str, dict[str, int]]:
    """The ERP's stock sync (``GET /stock/``): on hand, held and available per SKU, over every lease and
    warehouse. Between syncs, a ``stock.moved`` webhook tells each movement as it happens."""
    totals: dict[str, dict[str, int]] = {}
    for level in pages(api, "/stock/", {"page_size": 100}):
        row = totals.setdefault(level["product"]["sku"], {"on_hand": 0, "held": 0, "available": 0})
        for name in row:
            row[name] += level[name]
    return totals


def order_out(
    api: Wareshare, lease: int, *, order: str, lines: dict[str, int], consignee: dict[str, str]
) -> dict[str, Any]:
    """Ship goods out of a lease to a consignee (``POST /leases/{id}/orders/``); the owner accepts,
    picks and ships it, and ``GET /orders/{id}/`` then has the carrier and tracking number."""
    body = {
        "kind": "ship",
        "reference": order,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()],
        **consignee,
    }
    return api.post(f"/leases/{lease}/orders/", body, key=f"{order}:out")


def sync(api: Wareshare, args: argparse.Namespace) -> dict[str, Any]:
    found = find_space(api, start=args.start, end=args.end, quantity=args.quantity, port=args.port)
    listing = found["listing"]
    print(f"Found {listing['title']} ({listing['id']}): {found['quote']['total']} {found['quote']['currency']}")
    lease = request_lease(
        api,
        listing=listing["id"],
        start=args.start,
        end=args.end,
        quantity=args.quantity,
        goods=args.goods,
        order=args.order,
    )
    print(f"Requested lease {lease['id']}; waiting for the owner")
    lease = wait_for_state(api, lease["id"], {"accepted", "funded"}, every=args.poll)
    if lease["state"] == "accepted":
        pay(api, lease["id"], order=args.order)
    line = {"description": args.goods, "quantity": args.quantity}
    announce_shipment(
        api, lease["id"], order=args.order, carrier=args.carrier, tracking=args.tracking, eta=args.start, lines=[line]
    )
    for event in lease_events(api, lease["id"]):
        print(f"{event['created_at']}  {event['to_state'] or '':<10} {event['note']}")
    return api.get(f"/leases/{lease['id']}/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stock", action="store_true", help="Only print the stock per SKU, then stop.")
    parser.add_argument("--order", help="The ERP's order reference (makes retries safe).")
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat)
    parser.add_argument("--quantity", type=int)
    parser.add_argument("--port", help="UN/LOCODE to search around, e.g. NLRTM.")
    parser.add_argument("--goods", default="Garden furniture, flat-packed")
    parser.add_argument("--carrier", default="Maersk")
    parser.add_argument("--tracking", default="MSKU0000001")
    parser.add_argument("--poll", type=float, default=30, help="Seconds between looks at the lease.")
    args = parser.parse_args(argv)
    api = Wareshare(os.environ["WARESHARE_URL"], os.environ["WARESHARE_KEY"])
    if args.stock:
        for sku, row in sorted(stock_by_sku(api).items()):
            print(f"{sku:<24} on hand {row['on_hand']:>7}  held {row['held']:>7}  available {row['available']:>7}")
        return 0
    if not (args.order and args.start and args.end and args.quantity):
        parser.error("--order, --start, --end and --quantity are needed to book space")
    try:
        lease = sync(api, args)
    except ApiError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Lease {lease['id']} is {lease['state']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
