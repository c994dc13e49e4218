"""The production smoke's driver: one lease from request to release, over HTTP, as its people would.

Run by scripts/prod_smoke.sh with the production environment exported. It signs in through
allauth's login form (CSRF cookie and token, as a browser), requests a lease as the demo exporter,
accepts it as the owner, pays with the simulated gateway, announces a shipment, marks it in transit
and arrived, checks it in, confirms — then waits for the payout to be paid *by the Celery worker*
(the web process has a broker, so it only queues the task) and proves it from the worker's log.
The database is read (Django ORM) only to find ids and to check each step's outcome.

Requests carry ``X-Forwarded-Proto: https`` as the TLS-terminating proxy would, so the production
settings (SSL redirect, secure cookies, strict CSRF origin checks) are exercised unchanged.
"""

import argparse
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.utils import timezone  # noqa: E402

from escrow.models import Payout  # noqa: E402
from leasing.models import InboundShipment, Lease  # noqa: E402
from warehouses.models import Listing  # noqa: E402

OWNER = "owner@wareshare.test"
EXPORTER = "exporter@wareshare.test"
PASSWORD = "wareshare-demo"  # the demo seed's password (accounts.demo.DEMO_PASSWORD)
TIMEOUT = 20


class SmokeFailure(Exception):
    pass


class Browser:
    """A cookie-keeping HTTP client behind a pretend TLS proxy. Secure cookies are sent over
    the loopback's plain HTTP, as the proxy would have sent them over its own hop."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        self.jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http")))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, str, str]:
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "wareshare-prod-smoke"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **data}).encode()
            headers |= {"Origin": self.origin, "Referer": self.origin + path, "X-CSRFToken": self.csrf()}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, urllib.parse.urlsplit(response.geturl()).path, response.read().decode()
        except urllib.error.HTTPError as error:
            raise SmokeFailure(f"{'POST' if data is not None else 'GET'} {path}: HTTP {error.code}") from error

    def get(self, path: str) -> tuple[str, str]:
        _, url, body = self._request(path)
        return url, body

    def post(self, path: str, **data: Any) -> tuple[str, str]:
        _, url, body = self._request(path, data)
        return url, body

    def csrf(self) -> str:
        for cookie in self.jar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise SmokeFailure("no CSRF cookie: GET a page with a form first")

    def sign_in(self, email: str) -> None:
        self.get("/accounts/login/")
        url, body = self.post("/accounts/login/", login=email, password=PASSWORD)
        if url.startswith("/accounts/login"):
            raise SmokeFailure(f"sign-in as {email} failed: {_errors(body)}")


def _errors(body: str) -> str:
    found = re.findall(r'class="[^"]*(?:error|errorlist)[^"]*"[^>]*>(.*?)<', body, re.S)
    return "; ".join(text.strip() for text in found if text.strip())[:300] or "no error shown"


def step(name: str) -> float:
    print(f"  - {name}", flush=True)
    return time.monotonic()


def expect_state(lease_pk: int, state: str, body: str = "") -> None:
    actual = Lease.objects.get(pk=lease_pk).state
    if actual != state:
        raise SmokeFailure(f"lease {lease_pk} is {actual}, expected {state}. Page said: {_errors(body)}")


def drive(base: str, worker_log: Path, payout_wait: float) -> None:
    exporter, owner = Browser(base), Browser(base)
    step(f"sign in as {EXPORTER} and {OWNER}")
    exporter.sign_in(EXPORTER)
    owner.sign_in(OWNER)

    listing = (
        Listing.objects.filter(
            warehouse__organisation__memberships__user__email=OWNER, instant_book=False, status="active"
        )
        .order_by("pk")
        .first()
    )
    if listing is None:
        raise SmokeFailure(f"the seed has no request-to-book listing owned by {OWNER}")
    start = max(timezone.localdate() + timedelta(days=30), listing.available_from)
    end = start + timedelta(days=max(listing.min_days, 10) - 1)

    step(f"search, open listing {listing.pk}, request a lease")
    exporter.get("/search/")
    exporter.get(f"/listings/{listing.pk}/")
    exporter.get(f"/listings/{listing.pk}/request/")
    url, body = exporter.post(
        f"/listings/{listing.pk}/request/",
        start=start.isoformat(),
        end=end.isoformat(),
        quantity=1,
        goods_description="Smoke test cartons",
        message="From the production smoke",
    )
    match = re.fullmatch(r"/leases/(\d+)/", url)
    if not match:
        raise SmokeFailure(f"the request did not lead to a lease page ({url}): {_errors(body)}")
    lease_pk = int(match.group(1))
    expect_state(lease_pk, "requested", body)

    step(f"owner accepts lease {lease_pk}")
    owner.get(f"/leases/{lease_pk}/")
    _, body = owner.post(f"/leases/{lease_pk}/accept/")
    expect_state(lease_pk, "accepted", body)

    step("exporter pays into escrow (simulated gateway, test card)")
    exporter.get(f"/leases/{lease_pk}/pay/")
    _, body = exporter.post(f"/leases/{lease_pk}/pay/", payment_method="pm_card_visa")
    expect_state(lease_pk, "funded", body)

    step("exporter announces the shipment")
    exporter.get(f"/leases/{lease_pk}/shipments/new/")
    _, body = exporter.post(
        f"/leases/{lease_pk}/shipments/new/",
        carrier="Maersk",
        tracking_number=f"SMOKE{lease_pk:07d}",
        eta=start.isoformat(),
        weight_kg="",
        customs_reference=f"MRN-SMOKE-{lease_pk}",
        **{
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0,
            "lines-MIN_NUM_FORMS": 1,
            "lines-MAX_NUM_FORMS": 1000,
            "lines-0-description": "Cartons",
            "lines-0-sku": "SMK-1",
            "lines-0-quantity": 12,
            "lines-0-weight_kg": "",
        },
    )
    shipment = InboundShipment.objects.filter(lease_id=lease_pk).first()
    if shipment is None:
        raise SmokeFailure(f"no shipment was announced: {_errors(body)}")

    step("owner marks it in transit, arrived, and checks it in")
    for status in ("in_transit", "arrived"):
        owner.post(f"/shipments/{shipment.pk}/mark/", status=status)
    _, body = owner.get(f"/shipments/{shipment.pk}/checkin/")
    counts = {f"received_{line.pk}": line.quantity for line in shipment.lines.all()}
    if not all(f'name="{name}"' in body for name in counts):
        raise SmokeFailure("the check-in form does not ask for every declared line")
    _, body = owner.post(f"/shipments/{shipment.pk}/checkin/", condition="good", notes="All there", **counts)
    expect_state(lease_pk, "checked_in", body)

    step("exporter confirms: the escrow is released")
    _, body = exporter.post(f"/leases/{lease_pk}/confirm/")
    expect_state(lease_pk, "active", body)
    _, page = exporter.get(f"/leases/{lease_pk}/")
    if "Active" not in page:
        raise SmokeFailure("the lease page does not show the lease as active")

    payout = Payout.objects.get(escrow__lease_id=lease_pk)
    started = step(f"wait for payout {payout.pk} to be paid by the Celery worker")
    while (payout := Payout.objects.get(pk=payout.pk)).status != "paid":
        if time.monotonic() - started > payout_wait:
            raise SmokeFailure(f"payout {payout.pk} is still {payout.status} after {payout_wait:.0f}s")
        time.sleep(0.25)
    print(f"    paid after {time.monotonic() - started:.2f}s")
    expected = f"'payout': {payout.pk}, 'status': 'paid'"
    deadline = time.monotonic() + 10
    while not any(
        "escrow.tasks.payout_execute[" in line and expected in line
        for line in worker_log.read_text(errors="replace").splitlines()
    ):
        if time.monotonic() > deadline:
            raise SmokeFailure(f"the worker log ({worker_log}) has no payout_execute task that paid {payout.pk}")
        time.sleep(0.25)
    print("    the worker's log shows escrow.tasks.payout_execute paying it")

    step("probes: /healthz and /readyz")
    for probe in ("/healthz", "/readyz"):
        with urllib.request.urlopen(base + probe, timeout=TIMEOUT) as response:  # nosec B310
            status, report = response.status, json.loads(response.read())
        if status != 200 or report.get("status") != "ok":
            raise SmokeFailure(f"{probe}: {status} {report}")
        print(f"    {probe}: {report}")
    readiness = report
    if readiness.get("redis") != "ok" or readiness.get("migrations") != "ok":
        raise SmokeFailure(f"/readyz did not check Redis and migrations: {readiness}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8123")
    parser.add_argument("--worker-log", type=Path, required=True)
    parser.add_argument("--payout-wait", type=float, default=60.0, help="seconds to wait for the worker")
    args = parser.parse_args()
    try:
        drive(args.base, args.worker_log, args.payout_wait)
    except SmokeFailure as failure:
        print(f"SMOKE FAILED: {failure}", file=sys.stderr)
        return 1
    print("  one lease went from request to release; the worker paid the owner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
