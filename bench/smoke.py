"""Correctness checks of the search and the listing page on the bench data, against an oracle.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wareshare_bench_smoke \
        .venv/bin/python bench/smoke.py [--rounds 3] [--seed 1]

Part of ``make bench-smoke`` (scripts/bench_smoke.sh), after bench/generate.py. Each round picks,
with raw SQL written independently of ``warehouses.selectors`` (the oracle), a listing that is
free for random dates and a random quantity, and builds the benchmark's mixes around it, so that
the data guarantees a non-empty first page:

  a  /search/?country=<its country>
  b  /search/?port=<its nearest port>&radius=500&start&end&quantity
  c  /search/?features=<1–2 of its features>&max_price=<≥ its price>&currency=<its currency>&start&end
  d  /listings/<it>/?start&end&quantity   must say "<free> free on every day" (free = the oracle's)
  f  /search/ (default dates, 1 unit)     when the oracle finds any listing free on those dates

Fails (exit 1) on any answer other than 200, on an empty first page, on a result the oracle says
is not free for the dates and quantity asked, on a first page of (a), (c) or (f) that is not full
(20, or every matching listing when fewer match) or shows a listing that does not match, and on a
listing page whose free count differs from the oracle's. No timing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from warehouses.choices import FEATURES  # noqa: E402
from warehouses.filters import default_dates  # noqa: E402

FEATURE_NAMES = [name for name, _ in FEATURES]
QUANTITIES = (1, 5, 20, 40, 100)
PAGE_SIZE = 20  # warehouses.views.PAGE_SIZE, restated: the oracle does not read the code it checks
RESULT_LINK = re.compile(rb'<article class="card result">.*?href="[^"]*/listings/(\d+)/', re.S)

# The oracle: listings free for quantity units on every day of start..end, by the rules of
# docs/design.md (active, inside the bookable window, lease length within min/max days, a calendar
# row on every day with capacity - reserved >= quantity). Written without the ORM on purpose.
ORACLE = f"""
    SELECT l.id, l.currency, l.price_per_unit_day, w.country, w.nearest_port_id,
           ARRAY[{", ".join(f"w.{name}" for name in FEATURE_NAMES)}],
           (SELECT min(c.capacity - c.reserved) FROM warehouses_calendarday c
             WHERE c.listing_id = l.id AND c.day BETWEEN %(start)s AND %(end)s)
      FROM warehouses_listing l JOIN warehouses_warehouse w ON w.id = l.warehouse_id
     WHERE l.status = 'active'
       AND l.available_from <= %(start)s AND (l.available_until IS NULL OR l.available_until >= %(end)s)
       AND l.min_days <= %(days)s AND l.max_days >= %(days)s
       AND (SELECT count(*) FROM warehouses_calendarday c
             WHERE c.listing_id = l.id AND c.day BETWEEN %(start)s AND %(end)s
               AND c.capacity - c.reserved >= %(quantity)s) = %(days)s
     ORDER BY l.id
"""


class Failures(list):
    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.append(message)
            print(f"  FAIL {message}")
        return ok


def free_listings(*, start: date, end: date, quantity: int) -> list[tuple]:
    with connection.cursor() as cursor:
        days = (end - start).days + 1
        cursor.execute(ORACLE, {"start": start, "end": end, "days": days, "quantity": quantity})
        return cursor.fetchall()


def pick(rng: random.Random, *, today: date, horizon: date, days: int, needs_feature: bool = False):
    """A random (listing row, start, end, quantity) the oracle says is free; None if there is none."""
    for _ in range(20):
        span = (horizon - today).days - days  # starts from tomorrow: never "in the past" anywhere
        start = today + timedelta(days=rng.randint(1, max(1, span)))
        end = start + timedelta(days=days - 1)
        for quantity in rng.sample(QUANTITIES, len(QUANTITIES)):
            rows = free_listings(start=start, end=end, quantity=quantity)
            if needs_feature:
                rows = [row for row in rows if any(row[5])]
            if rows:
                return rng.choice(rows), start, end, quantity
    return None


def get(client: Client, failures: Failures, url: str):
    response = client.get(url)
    failures.check(response.status_code == 200, f"{url} → {response.status_code}")
    return response


def check_results(
    failures: Failures, url: str, content: bytes, *, start=None, end=None, quantity=1, expected: set[int] | None = None
) -> None:
    """A non-empty first page; with dates, only listings the oracle says are free; with ``expected``
    (every listing that should match), a full page (or all of them) and none outside it."""
    ids = [int(pk) for pk in RESULT_LINK.findall(content)]
    if not failures.check(bool(ids), f"{url}: empty first page, the oracle guarantees results"):
        return
    if start and end:
        free = {row[0] for row in free_listings(start=start, end=end, quantity=quantity)}
        wrong = [pk for pk in ids if pk not in free]
        failures.check(not wrong, f"{url}: listings {wrong} shown, the oracle says they are not free")
    if expected is not None:
        failures.check(
            len(ids) == min(PAGE_SIZE, len(expected)),
            f"{url}: {len(ids)} results on the first page, the oracle expects {min(PAGE_SIZE, len(expected))}",
        )
        outside = sorted(set(ids) - expected)
        failures.check(not outside, f"{url}: listings {outside} shown, the oracle says they do not match")
    print(f"  ok   {url} ({len(ids)} results)")


def active_in(country: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id FROM warehouses_listing l JOIN warehouses_warehouse w ON w.id = l.warehouse_id"
            " WHERE l.status = 'active' AND w.country = %s",
            [country],
        )
        return {row[0] for row in cursor.fetchall()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"Refusing: needs a PostgreSQL bench database (got {connection.vendor} {name!r}).")

    rng = random.Random(args.seed)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(calendar_until) FROM warehouses_listing WHERE status = 'active'")
        horizon = cursor.fetchone()[0]
    if horizon is None:
        sys.exit("No active listings: run bench/generate.py first.")
    client = Client()
    failures = Failures()
    for round_no in range(1, args.rounds + 1):
        print(f"Round {round_no}")
        found = pick(rng, today=today, horizon=horizon, days=min(30, (horizon - today).days - 1))
        if not failures.check(found is not None, "the oracle finds no free listing for 30 days: data too full"):
            break
        row, start, end, quantity = found
        pk, country, port, free = row[0], row[3], row[4], row[6]

        url = "/search/?" + urlencode({"country": country})
        check_results(failures, url, get(client, failures, url).content, expected=active_in(country))

        url = "/search/?" + urlencode({"port": port, "radius": 500, "start": start, "end": end, "quantity": quantity})
        check_results(failures, url, get(client, failures, url).content, start=start, end=end, quantity=quantity)

        found = pick(rng, today=today, horizon=horizon, days=rng.randint(14, 30), needs_feature=True)
        if failures.check(found is not None, "the oracle finds no free listing with a feature"):
            c_row, c_start, c_end, _ = found
            features = [name for name, has in zip(FEATURE_NAMES, c_row[5], strict=True) if has]
            chosen = rng.sample(features, min(len(features), rng.randint(1, 2)))
            max_price, currency = c_row[2] * 2, c_row[1]
            query = [("features", f) for f in chosen]
            query += [("max_price", max_price), ("currency", currency), ("start", c_start), ("end", c_end)]
            url = "/search/?" + urlencode(query)
            expected = {
                r[0]
                for r in free_listings(start=c_start, end=c_end, quantity=1)
                if r[1] == currency
                and r[2] <= max_price
                and all(has for name, has in zip(FEATURE_NAMES, r[5], strict=True) if name in chosen)
            }
            check_results(
                failures, url, get(client, failures, url).content, start=c_start, end=c_end, expected=expected
            )

        url = f"/listings/{pk}/?" + urlencode({"start": start, "end": end, "quantity": quantity})
        body = get(client, failures, url).content.decode()
        said = any(f"{n} free on every day" in body for n in (free, f"{free:,}"))
        if failures.check(said, f"{url}: does not say “{free} free on every day”"):
            print(f"  ok   {url} ({free} free)")

    start, end = (date.fromisoformat(d) for d in default_dates())
    if everything := {row[0] for row in free_listings(start=start, end=end, quantity=1)}:
        url = "/search/"
        check_results(failures, url, get(client, failures, url).content, start=start, end=end, expected=everything)
    else:
        failures.check(False, f"the oracle finds no listing free on the default dates {start}–{end}")

    if failures:
        sys.exit(f"bench smoke: {len(failures)} check(s) failed")
    print("bench smoke: search and listing page OK")


if __name__ == "__main__":
    main()
