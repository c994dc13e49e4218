"""The restore drill's helper (scripts/restore_drill.sh): leases made while the backup runs, and the
replay of payments the backup caught half-way.

  restore_drill.py load [--seconds N] [--seed S]   request, accept, pay (and now and then withdraw)
                                                   leases through the real services until SIGTERM or N s;
                                                   prints one JSON line of counts at the end
  restore_drill.py replay                          on a restored copy: send escrow's ``payment_succeeded``
                                                   for every succeeded payment whose lease is still unpaid

Why ``replay``: ``lease_pay`` records the processor's answer and funds the lease in two transactions
(it holds no lock while the processor works). A backup taken between the two has a succeeded payment
on an accepted lease. In production the processor's ``payment_intent.succeeded`` webhook (resent
until acknowledged) funds it through ``escrow.hooks.payment_succeeded``; the simulated gateway sends no
webhook, so the drill sends the same signal, as docs/deploy.md says to after a restore.

Run with the environment of manage.py (DJANGO_SETTINGS_MODULE, DATABASE_URL, ...).
"""

import argparse
import json
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EXPORTERS = ("exporter@wareshare.test", "exporter2@wareshare.test")  # the demo seed's verified exporters


def payments_in_flight() -> list[Any]:
    """Succeeded payments whose lease is not yet funded (requested or accepted)."""
    from escrow.choices import PaymentStatus
    from escrow.models import Payment
    from leasing.choices import LeaseState

    return list(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, escrow__lease__state__in=[LeaseState.REQUESTED, LeaseState.ACCEPTED]
        ).select_related("escrow")
    )


def replay() -> int:
    """Fund every lease whose payment succeeded but was not yet recorded on the lease, as the
    processor's webhook would; returns how many."""
    from escrow import hooks
    from escrow.models import Payment

    payments = payments_in_flight()
    for payment in payments:
        hooks.payment_succeeded.send(sender=Payment, payment=payment)
    return len(payments)


def load(*, seconds: float, seed: int, pause: float = 0.05) -> Counter[str]:
    """Make leases through the services (request, owner accepts, exporter pays; one in six is withdrawn
    instead of paid) until SIGTERM or ``seconds``; count what happened."""
    rng = random.Random(seed)
    stop = False

    def on_term(*_: Any) -> None:
        nonlocal stop
        stop = True

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return _make_leases(seconds=seconds, rng=rng, pause=pause, stopped=lambda: stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _make_leases(*, seconds: float, rng: random.Random, pause: float, stopped: Callable[[], bool]) -> Counter[str]:
    from django.utils import timezone

    from accounts.models import User
    from common.exceptions import ApplicationError
    from leasing import services
    from leasing.choices import LeaseState
    from warehouses.models import Listing

    exporters = [(user, user.memberships.get().organisation) for user in User.objects.filter(email__in=EXPORTERS)]
    listings = []
    for listing in Listing.objects.filter(status="active").select_related("warehouse"):
        owner = User.objects.filter(memberships__organisation=listing.warehouse.organisation_id).first()
        if owner is not None:
            listings.append((listing, owner))
    if not exporters or not listings:
        raise SystemExit("no demo exporters or listings: run manage.py seed_demo first")
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while not stopped() and time.monotonic() < deadline:
        user, organisation = rng.choice(exporters)
        listing, owner = rng.choice(listings)
        start = timezone.localdate() + timedelta(days=rng.randint(7, 200))
        days = rng.randint(max(listing.min_days, 7), min(listing.max_days, 30))
        try:
            lease = services.lease_request(
                listing=listing,
                exporter=organisation,
                by=user,
                start=start,
                end=start + timedelta(days=days - 1),
                quantity=1,
                goods_description="Restore drill cartons",
            )
            counts["requested"] += 1
            if lease.state == LeaseState.REQUESTED:
                lease = services.lease_accept(lease=lease, by=owner)
                counts["accepted"] += 1
            if rng.randrange(6) == 0:
                services.lease_withdraw(lease=lease, by=user)
                counts["withdrawn"] += 1
            else:
                services.lease_pay(lease=lease, by=user, payment_method="pm_card_visa")
                counts["paid"] += 1
        except ApplicationError as error:
            counts[f"refused:{error.code}"] += 1  # full dates, a blacklisted owner: normal answers
        time.sleep(pause)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load_parser = commands.add_parser("load")
    load_parser.add_argument("--seconds", type=float, default=120.0)
    load_parser.add_argument("--seed", type=int, default=1)
    commands.add_parser("replay")
    args = parser.parse_args()
    django.setup()
    if args.command == "load":
        print(json.dumps(load(seconds=args.seconds, seed=args.seed)), flush=True)
    else:
        print(f"{replay()} payment(s) in flight at the time of the backup replayed (processor webhook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
