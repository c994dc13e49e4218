"""Whole-database consistency: the invariants the services keep, checked over every row.

For an operator after a restore, a crash or a fault drill (``manage.py consistency_check``), never
on a request path: each check scans a whole table. ``consistency_check()`` runs them all and
returns a ``Report``: what each check covered and every ``Problem`` found (none: consistent).

- **calendar**: every calendar day's ``reserved`` is the sum of the live (unreleased) holds covering
  it, within capacity; every live hold lies on days the calendar has.
- **holds**: a live hold belongs to at most one lease (a hold of no lease is the owner's own, e.g. the
  demo's offline customers), on the lease's listing and within its dates; a lease that still holds
  space (requested … active; a transfer's lease once paid) has a live hold; a declined, expired or
  completed one has none.
- **ledger**: every posting has two or more lines in its own currency summing to zero; and
  ``escrow.reconcile.ledger_check`` (each currency sums to zero, no escrow below zero).
- **leases**: no lease is half-written: each has its escrow (same currency) and a timeline whose
  latest event is its state; a paid lease (funded and after) has a succeeded payment, a funding
  posting and a release schedule; a lease not yet paid (requested, accepted) has no succeeded
  payment (one would mean a charge recorded without the lease being funded).

Apps above leasing add their own checks with ``consistency_check_register`` in their
``AppConfig.ready()`` (inventory: **stock**, levels = movements and holding orders).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from common.money import quantize
from escrow.choices import PaymentStatus
from escrow.models import Escrow, LedgerEntry, Payment, Posting
from escrow.reconcile import ledger_check
from warehouses.models import CalendarDay, Reservation

from .choices import LeaseOrigin
from .choices import LeaseState as S
from .models import Instalment, Lease, LeaseEvent

__all__ = ["CHECKS", "HOLDING", "PAID", "Problem", "Report", "consistency_check", "consistency_check_register"]

# Leases that hold their space on the calendar; leases that have been paid into escrow.
HOLDING = frozenset({S.REQUESTED, S.ACCEPTED, S.FUNDED, S.CHECKED_IN, S.DISPUTED, S.ACTIVE})
PAID = frozenset({S.FUNDED, S.CHECKED_IN, S.DISPUTED, S.ACTIVE, S.COMPLETED, S.TRANSFERRED})
# Leases whose every hold was given back (a cancelled one may keep the months it paid for).
NOTHING_HELD = frozenset({S.DECLINED, S.EXPIRED, S.COMPLETED})


@dataclass(frozen=True)
class Problem:
    check: str  # one of CHECKS
    subject: str  # "listing 3 on 2026-12-01", "lease 12", "posting escrow:4:fund:7"
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.detail}"


@dataclass
class Report:
    checked: dict[str, str] = field(default_factory=dict)  # check -> what it covered
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _calendar() -> tuple[str, list[Problem]]:
    live = Reservation.objects.filter(
        listing=OuterRef("listing"), released_at=None, start__lte=OuterRef("day"), end__gte=OuterRef("day")
    )
    held = live.order_by().values("listing").annotate(units=Sum("quantity")).values("units")
    wrong = (
        CalendarDay.objects.annotate(held=Coalesce(Subquery(held), 0))
        .filter(~Q(reserved=F("held")) | Q(reserved__gt=F("capacity")))
        .order_by("listing_id", "day")
        .values_list("listing_id", "day", "reserved", "capacity", "held")
    )
    problems = [
        Problem("calendar", f"listing {listing} on {day}", f"reserved {reserved} of {capacity}, live holds {held}")
        for listing, day, reserved, capacity, held in wrong
    ]
    covered = CalendarDay.objects.filter(
        listing=OuterRef("listing"), day__gte=OuterRef("start"), day__lte=OuterRef("end")
    )
    rows = covered.order_by().values("listing").annotate(n=Count("pk")).values("n")
    holds = Reservation.objects.filter(released_at=None).annotate(rows=Coalesce(Subquery(rows), 0))
    live_count = 0
    for pk, listing, start, end, found in holds.values_list("pk", "listing_id", "start", "end", "rows"):
        live_count += 1
        if found != (end - start).days + 1:
            problems.append(
                Problem("calendar", f"hold {pk}", f"listing {listing} {start}..{end}: only {found} calendar days")
            )
    days = CalendarDay.objects.count()
    return f"{days} calendar days against {live_count} live holds", problems


def _holds() -> tuple[str, list[Problem]]:
    problems = [
        Problem("holds", f"hold {pk}", f"belongs to {n} leases")
        for pk, n in Reservation.objects.filter(released_at=None)
        .annotate(n=Count("leases"))
        .filter(n__gt=1)
        .values_list("pk", "n")
    ]
    Link = Lease.reservations.through
    stray = (
        Link.objects.filter(reservation__released_at=None)
        .filter(
            ~Q(reservation__listing_id=F("lease__listing_id"))
            | Q(reservation__start__lt=F("lease__start"))
            | Q(reservation__end__gt=F("lease__end"))
        )
        .values_list("lease_id", "reservation_id")
    )
    problems += [
        Problem("holds", f"lease {lease}", f"live hold {hold} is off its listing or outside its dates")
        for lease, hold in stray
    ]
    live = Reservation.objects.filter(leases=OuterRef("pk"), released_at=None)
    leases = Lease.objects.annotate(holds=Exists(live))
    # A transfer's lease takes over its part of the original's holds only when it is paid.
    unpaid_transfer = Q(origin=LeaseOrigin.TRANSFER, state=S.ACCEPTED)
    problems += [
        Problem("holds", f"lease {pk}", f"is {state} but holds no space")
        for pk, state in leases.filter(state__in=HOLDING, holds=False)
        .exclude(unpaid_transfer)
        .values_list("pk", "state")
    ]
    problems += [
        Problem("holds", f"lease {pk}", f"is {state} but still holds space")
        for pk, state in leases.filter(state__in=NOTHING_HELD, holds=True).values_list("pk", "state")
    ]
    total = Lease.objects.count()
    return f"{total} leases' holds", problems


def _ledger() -> tuple[str, list[Problem]]:
    problems: list[Problem] = []
    postings = Posting.objects.annotate(total=Coalesce(Sum("entries__amount"), Decimal(0)), lines=Count("entries"))
    # SQLite sums decimals as floats: candidates come from the database, the verdict from Decimal.
    for key, currency, total, lines in (
        postings.filter(~Q(total=0) | Q(lines__lt=2))
        .order_by("pk")
        .values_list("idempotency_key", "currency", "total", "lines")
    ):
        total = quantize(Decimal(total), currency)
        if total != 0:
            problems.append(Problem("ledger", f"posting {key}", f"debits and credits differ by {total} {currency}"))
        if lines < 2:
            problems.append(Problem("ledger", f"posting {key}", f"has {lines} line(s)"))
    foreign = LedgerEntry.objects.exclude(currency=F("posting__currency"))
    problems += [
        Problem("ledger", f"posting {key}", f"a line is in {currency}, the posting in {posting_currency}")
        for key, currency, posting_currency in foreign.values_list(
            "posting__idempotency_key", "currency", "posting__currency"
        )
    ]
    problems += [
        Problem(
            "ledger", f"lease {d.lease_id}" if d.lease_id is not None else "whole ledger", f"{d.problem}: {d.detail}"
        )
        for d in ledger_check()
    ]
    return f"{Posting.objects.count()} postings, {LedgerEntry.objects.count()} lines", problems


def _leases() -> tuple[str, list[Problem]]:
    latest = LeaseEvent.objects.filter(lease=OuterRef("pk")).order_by("-pk").values("to_state")[:1]
    escrow = Escrow.objects.filter(lease=OuterRef("pk"))
    succeeded = Payment.objects.filter(escrow__lease=OuterRef("pk"), status=PaymentStatus.SUCCEEDED)
    funding = Posting.objects.filter(escrow__lease=OuterRef("pk"), idempotency_key__contains=":fund:")
    schedule = Instalment.objects.filter(lease=OuterRef("pk"))
    leases = Lease.objects.annotate(
        latest=Subquery(latest),
        escrow_currency=Subquery(escrow.values("currency")[:1]),
        succeeded=Exists(succeeded),
        funded=Exists(funding),
        scheduled=Exists(schedule),
    ).order_by("pk")
    problems: list[Problem] = []
    rules: list[tuple[Callable[[Mapping[str, Any]], bool], str]] = [
        (lambda row: row["escrow_currency"] is None, "has no escrow"),
        (
            lambda row: row["escrow_currency"] not in (None, row["currency"]),
            "its escrow is in another currency",
        ),
        (lambda row: row["latest"] is None, "has no timeline event"),
        (
            lambda row: row["latest"] not in (None, row["state"]),
            "its latest event does not end in its state",
        ),
        (lambda row: row["state"] in PAID and not row["succeeded"], "is paid but has no succeeded payment"),
        (lambda row: row["state"] in PAID and not row["funded"], "is paid but its escrow was never funded"),
        (lambda row: row["state"] in PAID and not row["scheduled"], "is paid but has no release schedule"),
        (
            lambda row: row["state"] in (S.REQUESTED, S.ACCEPTED) and row["succeeded"],
            "a payment succeeded but the lease was not funded",
        ),
    ]
    count = 0
    for row in leases.values(
        "pk", "state", "currency", "latest", "escrow_currency", "succeeded", "funded", "scheduled"
    ):
        count += 1
        for broken, what in rules:
            if broken(row):
                problems.append(Problem("leases", f"lease {row['pk']}", f"({row['state']}) {what}"))
    return f"{count} leases written whole", problems


CHECKS: dict[str, Callable[[], tuple[str, list[Problem]]]] = {
    "calendar": _calendar,
    "holds": _holds,
    "ledger": _ledger,
    "leases": _leases,
}


def consistency_check_register(name: str, check: Callable[[], tuple[str, list[Problem]]]) -> None:
    """Add ``check() -> (what it covered, problems)`` under ``name`` (an app above leasing, from its
    ``AppConfig.ready()``, so leasing never imports it); ``manage.py consistency_check --only name`` runs it."""
    CHECKS.setdefault(name, check)


def consistency_check(*, only: tuple[str, ...] = ()) -> Report:
    """Run every check (or those named in ``only``, keys of ``CHECKS``) and report what each covered
    and every problem. Reads only; for a consistent view while others write, run it in one transaction
    at REPEATABLE READ (``manage.py consistency_check`` does)."""
    report = Report()
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        report.checked[name], problems = check()
        report.problems += problems
    return report
