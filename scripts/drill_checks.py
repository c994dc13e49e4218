"""The fault drill's invariants (scripts/fault_drill.py), read straight from the database.

Each check returns a list of problems (empty when it holds). Money: every payout of the drill's
leases is paid, and the simulated processor (``SimulatedMovement``, kept by the gateway when
``WARESHARE_SIMULATED_GATEWAY_RECORD`` is on) made exactly one transfer for it and one charge per
paid lease: more is money paid twice, less is money lost. Units: every calendar day holds what its
live reservations hold, every reservation the drill made belongs to a lease that still holds it.
Call ``django.setup()`` before importing this module.
"""

import subprocess  # nosec B404
import sys
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from escrow.models import Escrow, LedgerEntry, Payment, Payout, Posting, SimulatedMovement
from leasing.core import RELEASES_CAPACITY
from leasing.models import Lease
from warehouses.models import Reservation


def payouts_paid_once(lease_pks: list[int]) -> list[str]:
    problems = []
    for payout in Payout.objects.filter(escrow__lease_id__in=lease_pks).select_related("escrow"):
        where = f"payout {payout.pk} (lease {payout.escrow.lease_id}, key {payout.idempotency_key})"
        moves = list(SimulatedMovement.objects.filter(operation="transfer", idempotency_key=payout.idempotency_key))
        if payout.status != "paid":
            problems.append(f"{where} is {payout.status}: the owner was not paid (money lost)")
        if len(moves) > 1:
            problems.append(f"{where}: the processor made {len(moves)} transfers for it (money paid twice)")
        elif not moves:
            problems.append(f"{where}: the processor made no transfer for it")
        elif payout.status == "paid" and moves[0].amount != payout.amount:
            problems.append(f"{where}: transferred {moves[0].amount}, payout is {payout.amount}")
        if payout.status == "paid" and not Posting.objects.filter(idempotency_key=f"{payout.idempotency_key}:paid"):
            problems.append(f"{where} is paid but the ledger has no transfer posting for it")
    for escrow in Escrow.objects.filter(lease_id__in=lease_pks):
        paid = Payout.objects.filter(escrow=escrow, status="paid").aggregate(total=Sum("amount"))["total"]
        moved = SimulatedMovement.objects.filter(operation="transfer", transfer_group=escrow.transfer_group).aggregate(
            total=Sum("amount")
        )["total"]
        if (paid or Decimal(0)) != (moved or Decimal(0)):
            problems.append(f"lease {escrow.lease_id}: the processor transferred {moved}, the payouts paid are {paid}")
    return problems


def charges_once(lease_pks: list[int]) -> list[str]:
    problems = []
    for escrow in Escrow.objects.filter(lease_id__in=lease_pks):
        succeeded = list(Payment.objects.filter(escrow=escrow, status="succeeded"))
        charged = list(SimulatedMovement.objects.filter(operation="charge", transfer_group=escrow.transfer_group))
        if len(succeeded) > 1 or len(charged) > 1:
            problems.append(
                f"lease {escrow.lease_id}: {len(succeeded)} succeeded payment(s), {len(charged)} charge(s) "
                "at the processor (charged twice)"
            )
        elif len(charged) != len(succeeded):
            problems.append(
                f"lease {escrow.lease_id}: {len(charged)} charge(s) at the processor but {len(succeeded)} "
                "succeeded payment(s) recorded (money taken, lease not funded)"
            )
    return problems


def calendar_matches_reservations() -> list[str]:
    """Every listing-day's ``reserved`` equals the units of the live reservations covering it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.listing_id, d.day, d.reserved, COALESCE(SUM(r.quantity), 0) AS held
            FROM warehouses_calendarday d
            LEFT JOIN warehouses_reservation r
              ON r.listing_id = d.listing_id AND r.released_at IS NULL AND d.day BETWEEN r.start AND r."end"
            GROUP BY d.id, d.listing_id, d.day, d.reserved
            HAVING d.reserved <> COALESCE(SUM(r.quantity), 0)
            ORDER BY d.listing_id, d.day
            LIMIT 20
            """
        )
        rows = cursor.fetchall()
    return [
        f"listing {listing} on {day}: calendar says {reserved} reserved, reservations hold {held}"
        for listing, day, reserved, held in rows
    ]


def reservations_owned(since_reservation_pk: int, lease_pks: list[int]) -> list[str]:
    """No orphan: every live reservation made during the drill belongs to a lease that holds it, and
    each drill lease that holds space holds exactly its quantity over its dates."""
    problems = []
    orphans = Reservation.objects.filter(pk__gt=since_reservation_pk, released_at=None, leases=None)
    problems += [f"reservation {r.pk} ({r}) belongs to no lease (orphan units)" for r in orphans]
    for lease in Lease.objects.filter(pk__in=lease_pks).prefetch_related("reservations"):
        live = [r for r in lease.reservations.all() if r.released_at is None]
        if lease.state in RELEASES_CAPACITY:
            if live:
                problems.append(f"lease {lease.pk} is {lease.state} but still holds {live}")
        elif [(r.start, r.end, r.quantity) for r in live] != [(lease.start, lease.end, lease.quantity)]:
            problems.append(f"lease {lease.pk} ({lease.state}) holds {live}, expected {lease.quantity} × its dates")
    return problems


def leases_whole(lease_pks: list[int]) -> list[str]:
    """Each lease was written whole: its escrow and its first timeline event exist."""
    problems = []
    for lease in Lease.objects.filter(pk__in=lease_pks).prefetch_related("events"):
        if not Escrow.objects.filter(lease=lease).exists():
            problems.append(f"lease {lease.pk} has no escrow (half-written)")
        if not any(event.to_state == "requested" for event in lease.events.all()):
            problems.append(f"lease {lease.pk} has no 'requested' event (half-written)")
        paid = Payment.objects.filter(escrow__lease=lease, status="succeeded").exists()
        if paid and lease.state in ("requested", "accepted"):
            problems.append(f"lease {lease.pk} is paid but still {lease.state} (half-written)")
    return problems


def ledger_balanced() -> list[str]:
    """Every posting sums to zero, so the whole ledger does."""
    unbalanced = (
        LedgerEntry.objects.values("posting_id", "currency").annotate(total=Sum("amount")).exclude(total=0)[:20]
    )
    return [f"posting {row['posting_id']} sums to {row['total']} {row['currency']}" for row in unbalanced]


def reconcile_clean(lease_pks: list[int]) -> list[str]:
    """``manage.py escrow_reconcile`` for the drill's leases (the ledger-wide checks included) exits 0."""
    args = [sys.executable, "manage.py", "escrow_reconcile"]
    for pk in lease_pks:
        args += ["--lease", str(pk)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)  # nosec B603
    if done.returncode:
        return [f"escrow_reconcile exited {done.returncode}: {(done.stdout + done.stderr).strip()[-800:]}"]
    return []


def movement_calls(key: str) -> tuple[int, int]:
    """(rows, calls) the simulated processor recorded for a transfer under ``key``."""
    moves = SimulatedMovement.objects.filter(operation="transfer", idempotency_key=key)
    return len(moves), sum(move.calls for move in moves)


def everything(since_reservation_pk: int, lease_pks: list[int]) -> dict[str, list[str]]:
    checks: dict[str, list[str]] = defaultdict(list)
    checks["payouts paid exactly once"] = payouts_paid_once(lease_pks)
    checks["charges made exactly once"] = charges_once(lease_pks)
    checks["calendar equals its reservations"] = calendar_matches_reservations()
    checks["no orphan or missing reservation"] = reservations_owned(since_reservation_pk, lease_pks)
    checks["leases written whole"] = leases_whole(lease_pks)
    checks["ledger balances"] = ledger_balanced()
    checks["escrow_reconcile is clean"] = reconcile_clean(lease_pks)
    return checks
