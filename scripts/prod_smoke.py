"""The production smoke's driver: one lease from request to release, over HTTP, as its people would.

Run by scripts/prod_smoke.sh with the production environment exported. Through the steps in
scripts/lease_walk.py it signs in (allauth's login form, as a browser), requests a lease as the demo
exporter, accepts it as the owner, pays with the simulated gateway, announces a shipment, marks it in transit
and arrived, checks it in, confirms — then waits for the payout to be paid *by the Celery worker*
(the web process has a broker, so it only queues the task) and proves it from the worker's log.
The database is read (Django ORM) only to find ids and to check each step's outcome.

Requests carry ``X-Forwarded-Proto: https`` as the TLS-terminating proxy would, so the production
settings (SSL redirect, secure cookies, strict CSRF origin checks) are exercised unchanged.
"""

import argparse
import json
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

import lease_walk as walk  # noqa: E402
from django.utils import timezone  # noqa: E402
from lease_walk import EXPORTER, OWNER, TIMEOUT, Browser  # noqa: E402
from lease_walk import WalkFailure as SmokeFailure  # noqa: E402

from escrow.models import Payout  # noqa: E402
from warehouses.models import Listing  # noqa: E402


def step(name: str) -> float:
    print(f"  - {name}", flush=True)
    return time.monotonic()


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
    lease_pk = walk.lease_request(exporter, listing.pk, start, end, "Smoke test cartons")

    step(f"owner accepts lease {lease_pk}")
    walk.lease_accept(owner, lease_pk)

    step("exporter pays into escrow (simulated gateway, test card)")
    walk.lease_pay(exporter, lease_pk)

    step("exporter announces the shipment")
    shipment = walk.shipment_announce(exporter, lease_pk, start)

    step("owner marks it in transit, arrived, and checks it in")
    walk.shipment_check_in(owner, lease_pk, shipment)

    step("exporter confirms: the escrow is released")
    page = walk.lease_confirm(exporter, lease_pk)
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
