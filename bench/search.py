"""Search benchmark: the real views, FilterSet and templates, in-process, against PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wareshare_bench \
        .venv/bin/python bench/search.py [--requests 200] [--warmup 20] [--seed 1]

Mixes (random country / port / dates within the next 300 days per request):
  a  country only                         /search/?country=XX
  b  port + 500 km + 30-day dates + qty    /search/?port=…&radius=500&start=…&end=…&quantity=…
  c  1–2 features + max price + dates      /search/?features=…&max_price=…&currency=…&start=…&end=…
     (the currency of a random listing, weighted by listings; the price range scaled to it)
  d  listing page with dates and quantity  /listings/<pk>/?start=…&end=…&quantity=…
  e  floor: one primary-key query          /bench/floor/<pk>/
and, reported but not part of the brief's goals:
  f  the bare search page (no parameters: default dates, 1 unit, whole catalogue)   /search/
  p  floor-page: one primary-key query rendered in base.html                        /bench/floor-page/<pk>/

Requests are interleaved (each round runs every mix once, in a shuffled order) so that the ratios
to the floor are measured under the same conditions. Requests go through django.test.Client: the
full middleware stack, a persistent database connection (as production's CONN_MAX_AGE), no
test-environment template instrumentation. The time spent inside the database driver is summed per
request with an execute wrapper, so each mix's time splits into SQL and Python (view + template).

Afterwards the main search query of each search mix is captured (CaptureQueriesContext) for a
typical request and for that mix's slowest request, and re-run under EXPLAIN (ANALYZE, BUFFERS);
the plans go to bench/explain.txt (or --explain PATH).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import sys
import time
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
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.generate import RATE, ZERO_DECIMAL  # noqa: E402
from warehouses.choices import FEATURES  # noqa: E402

MIXES = {
    "a": "search: country only",
    "b": "search: port + 500 km + 30-day dates + quantity",
    "c": "search: 1–2 features + max price + dates",
    "d": "listing page: dates + quantity",
    "e": "floor: one primary-key query",
    "f": "search: no parameters (default dates, whole catalogue)",
    "p": "floor-page: one pk query in base.html",
}
GOALS = {"a": 3, "b": 3, "c": 3, "d": 2}  # DESIGN §8: p95 ≤ k × floor p95
QUANTITIES = (1, 5, 20, 40, 100)


class Timer:
    """Execute wrapper: sums the time spent in the database driver and counts queries."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class Workload:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT w.country FROM warehouses_warehouse w JOIN warehouses_listing l "
                "ON l.warehouse_id = w.id WHERE l.status = 'active' ORDER BY 1"
            )
            self.countries = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT locode FROM warehouses_port ORDER BY 1")
            self.ports = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM warehouses_listing WHERE status = 'active' ORDER BY 1")
            self.listings = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT currency FROM warehouses_listing WHERE status = 'active' ORDER BY id")
            self.currencies = [row[0] for row in cursor.fetchall()]  # one per listing: a weighted choice
            cursor.execute("SELECT min(calendar_until) FROM warehouses_listing WHERE status = 'active'")
            self.horizon: date | None = cursor.fetchone()[0]
        if not self.listings:
            sys.exit("No active listings: run bench/generate.py first.")
        # Dates within the next 300 days, or within the calendar when it is shorter (bench-smoke).
        self.span = min(300, (self.horizon - self.today).days + 1) if self.horizon else 300

    def dates(self, days: int) -> tuple[date, date]:
        days = min(days, self.span)
        start = self.today + timedelta(days=self.rng.randint(0, self.span - days))
        return start, start + timedelta(days=days - 1)

    def url(self, mix: str) -> str:
        rng = self.rng
        if mix == "a":
            return "/search/?" + urlencode({"country": rng.choice(self.countries)})
        if mix == "b":
            start, end = self.dates(30)
            return "/search/?" + urlencode(
                {
                    "port": rng.choice(self.ports),
                    "radius": 500,
                    "start": start,
                    "end": end,
                    "quantity": rng.choice(QUANTITIES),
                }
            )
        if mix == "c":
            start, end = self.dates(rng.randint(14, 60))
            features = rng.sample([name for name, _ in FEATURES], rng.randint(1, 2))
            # A maximum price needs its currency (prices are never compared across currencies).
            currency = rng.choice(self.currencies)
            max_price = round(rng.uniform(0.3, 1.5) * RATE.get(currency, 1), 0 if currency in ZERO_DECIMAL else 2)
            query = [("features", f) for f in features]
            query += [("max_price", max_price), ("currency", currency), ("start", start), ("end", end)]
            return "/search/?" + urlencode(query)
        if mix == "d":
            start, end = self.dates(30)
            return f"/listings/{rng.choice(self.listings)}/?" + urlencode(
                {"start": start, "end": end, "quantity": rng.choice(QUANTITIES)}
            )
        if mix == "e":
            return f"/bench/floor/{rng.choice(self.listings)}/"
        if mix == "f":
            return "/search/"
        if mix == "p":
            return f"/bench/floor-page/{rng.choice(self.listings)}/"
        raise ValueError(mix)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


RESULT_CARD = re.compile(rb'<article class="card result">')


def measure(client: Client, workload: Workload, mixes: list[str], rounds: int, warmup: int) -> dict:
    timer = Timer()
    samples: dict[str, list[dict]] = {mix: [] for mix in mixes}
    with connection.execute_wrapper(timer):
        for round_no in range(warmup + rounds):
            order = mixes[:]
            workload.rng.shuffle(order)
            for mix in order:
                url = workload.url(mix)
                timer.seconds, timer.queries = 0.0, 0
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{url} → {response.status_code}")
                if round_no >= warmup:
                    samples[mix].append(
                        {
                            "url": url,
                            "ms": elapsed * 1000,
                            "sql_ms": timer.seconds * 1000,
                            "queries": timer.queries,
                            "results": len(RESULT_CARD.findall(response.content)),
                        }
                    )
    return samples


def summarise(samples: dict[str, list[dict]]) -> dict[str, dict]:
    stats = {}
    for mix, rows in samples.items():
        total = [r["ms"] for r in rows]
        sql = [r["sql_ms"] for r in rows]
        stats[mix] = {
            "n": len(rows),
            "p50": percentile(total, 50),
            "p95": percentile(total, 95),
            "max": max(total),
            "sql_p50": percentile(sql, 50),
            "sql_p95": percentile(sql, 95),
            "python_p50": percentile([r["ms"] - r["sql_ms"] for r in rows], 50),
            "queries": statistics.mean(r["queries"] for r in rows),
            "results": statistics.mean(r["results"] for r in rows),
            "empty": sum(1 for r in rows if r["results"] == 0) / len(rows),
            "slowest": max(rows, key=lambda r: r["ms"])["url"],
        }
    return stats


def page_queries(captured: list[dict]) -> list[str]:
    """The search's own queries: the ordered candidate ids (``LIMIT``: one batch of
    ``listing_available_page``) and the availability probe of each batch (``NOT (EXISTS …)``)."""
    return [q["sql"] for q in captured if q["sql"].startswith('SELECT "warehouses_listing"."id" AS "pk"')]


def explain(client: Client, url: str, out: list[str], title: str) -> int:
    """Append the queries of ``url`` and EXPLAIN (ANALYZE, BUFFERS) of its page queries to ``out``;
    returns how many page queries were explained (0 means the search's query shape changed)."""
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    out.append(f"=== {title}\nURL: {url}\nQueries ({len(ctx.captured_queries)}):")
    for query in ctx.captured_queries:
        out.append(f"  [{float(query['time']) * 1000:7.2f} ms] {query['sql'][:160]}…")
    queries = page_queries(ctx.captured_queries)
    if not queries:
        out.append("(no listing page query found)\n")
    for n, sql in enumerate(queries, 1):
        out.append(f"\nPage query {n} of {len(queries)}:\n" + sql + "\n")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # warm the plan's pages
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            out.append("EXPLAIN (ANALYZE, BUFFERS):")
            out.extend(row[0] for row in cursor.fetchall())
    out.append("")
    return len(queries)


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
        settings = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
            "max_parallel_workers_per_gather",
        ):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT count(*) FROM warehouses_listing WHERE status = 'active'), "
            "(SELECT count(*) FROM warehouses_warehouse), (SELECT count(DISTINCT country) FROM warehouses_warehouse), "
            "(SELECT count(*) FROM warehouses_calendarday), pg_size_pretty(pg_database_size(current_database()))"
        )
        listings, warehouses, countries, days, size = cursor.fetchone()
    return {
        "postgres": version,
        "settings": settings,
        "listings": listings,
        "warehouses": warehouses,
        "countries": countries,
        "calendar_days": days,
        "db_size": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per mix")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mixes", default="abcdefp", help="which mixes to run (letters)")
    parser.add_argument("--explain", default=str(ROOT / "bench" / "explain.txt"))
    parser.add_argument("--json", help="also write the raw statistics here")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workload = Workload(rng)
    info = machine()
    print(
        f"{info['postgres'].split(' on ')[0]}; {info['listings']} active listings, {info['warehouses']} warehouses "
        f"in {info['countries']} countries, {info['calendar_days']:,} calendar days; db {info['db_size']}"
    )
    if workload.horizon is None or workload.horizon < workload.today + timedelta(days=300):
        print(f"WARNING: the calendar ends {workload.horizon}, before today + 300 days: regenerate with --reset.")

    client = Client()
    mixes = [m for m in args.mixes if m in MIXES]
    gc.collect()
    started = time.perf_counter()
    samples = measure(client, workload, mixes, args.requests, args.warmup)
    stats = summarise(samples)
    print(
        f"\n{args.requests} requests per mix after {args.warmup} warm-up rounds, interleaved "
        f"({time.perf_counter() - started:.0f} s)\n"
    )

    floor = stats.get("e", {}).get("p95")
    header = f"{'mix':<58} {'p50 ms':>7} {'p95 ms':>7} {'p95/floor':>9} {'goal':>6} {'met':>4}  {'SQL p50':>7} {'py p50':>7} {'q/req':>5} {'rows':>5} {'empty':>5}"
    print(header)
    print("-" * len(header))
    for mix in mixes:
        s = stats[mix]
        ratio = s["p95"] / floor if floor else float("nan")
        goal = GOALS.get(mix)
        met = ("yes" if ratio <= goal else "NO") if goal and floor else ""
        s["ratio"], s["goal"], s["met"] = ratio, goal, met
        print(
            f"({mix}) {MIXES[mix]:<54} {s['p50']:7.2f} {s['p95']:7.2f} {ratio:8.1f}× "
            f"{(f'≤{goal}×' if goal else ''):>6} {met:>4}  {s['sql_p50']:7.2f} {s['python_p50']:7.2f} "
            + (
                f"{s['queries']:5.1f} {s['results']:5.1f} {s['empty']:5.0%}"
                if mix in "abcf"
                else f"{s['queries']:5.1f}"
            )
        )
    print("\nSQL p50 = time inside the database driver; py p50 = the rest (middleware, view, FilterSet, template).")

    out = [
        f"EXPLAIN (ANALYZE, BUFFERS) of the search page queries — {timezone.now():%Y-%m-%d %H:%M} UTC",
        f"{info['postgres']}",
        f"settings: {info['settings']}",
        "",
    ]
    probe = random.Random(args.seed + 1000)
    workload.rng = probe
    unexplained = []
    for mix in ("b", "c", "a", "f"):
        if mix not in stats:
            continue
        for url, title in (
            (workload.url(mix), f"({mix}) {MIXES[mix]} — typical request"),
            (
                stats[mix]["slowest"],
                f"({mix}) {MIXES[mix]} — slowest measured request ({max(r['ms'] for r in samples[mix]):.1f} ms)",
            ),
        ):
            if not explain(client, url, out, title):
                unexplained.append(url)
    Path(args.explain).write_text("\n".join(out) + "\n")
    print(f"Plans written to {args.explain}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "stats": stats}, indent=2, default=str))
    if unexplained:
        sys.exit(f"No search page query found for {unexplained}: the query shape changed, update page_queries().")


if __name__ == "__main__":
    main()
