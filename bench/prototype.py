"""Prototype (raw SQL, bench database only, nothing persisted): the search's page query as the ORM
builds it today versus "order the candidates first, then probe availability in that order and stop
at 21", each with and without a covering (listing_id, day) INCLUDE (capacity, reserved) index.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wareshare_bench .venv/bin/python bench/prototype.py

The index is created inside a transaction that is rolled back. Prints the median execution time
(EXPLAIN ANALYZE, 5 runs after one warm-up) per case and variant, and appends the plans of the
rewritten query to bench/explain-prototype.txt.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import timezone  # noqa: E402

from warehouses.filters import ListingSearchFilter  # noqa: E402
from warehouses.geo import Circle  # noqa: E402
from warehouses.models import Port  # noqa: E402
from warehouses.selectors import listing_public_queryset  # noqa: E402

INDEX = (
    "CREATE INDEX bench_calendar_listing_day_covering ON warehouses_calendarday "
    "(listing_id, day) INCLUDE (capacity, reserved)"
)


def orm_sql(query: str) -> str:
    filterset = ListingSearchFilter(QueryDict(query), queryset=listing_public_queryset())
    assert filterset.is_valid(), filterset.errors
    sql, params = filterset.qs[0:21].query.sql_with_params()
    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else cursor.cursor.mogrify(sql, params)


def sorted_first_sql(*, start, end, quantity, where_extra: str) -> str:
    """Candidates ordered by unit_cost (cheap filters only), availability probed in that order."""
    days = (end - start).days + 1
    return f"""
WITH page AS (
  SELECT c.id, c.unit_cost
    FROM (SELECT l.id, l.price_per_unit_day * {days} + l.handling_in_fee + l.handling_out_fee AS unit_cost
            FROM warehouses_listing l JOIN warehouses_warehouse w ON w.id = l.warehouse_id
           WHERE l.status = 'active' AND l.available_from <= '{start}' AND l.calendar_until >= '{end}'
             AND l.min_days <= {days} AND l.max_days >= {days}
             AND (l.available_until IS NULL OR l.available_until >= '{end}') {where_extra}
           ORDER BY unit_cost, l.id) c
   WHERE NOT EXISTS (SELECT 1 FROM warehouses_calendarday d
                      WHERE d.listing_id = c.id AND d.day BETWEEN '{start}' AND '{end}'
                        AND d.capacity < d.reserved + {quantity})
   ORDER BY c.unit_cost, c.id
   LIMIT 21)
SELECT l.*, w.*, o.*, p.*, page.unit_cost,
       (SELECT min(d.capacity - d.reserved) FROM warehouses_calendarday d
         WHERE d.listing_id = l.id AND d.day BETWEEN '{start}' AND '{end}') AS free_units
  FROM page JOIN warehouses_listing l ON l.id = page.id
  JOIN warehouses_warehouse w ON w.id = l.warehouse_id
  JOIN accounts_organisation o ON o.id = w.organisation_id
  LEFT JOIN warehouses_port p ON p.locode = w.nearest_port_id
 ORDER BY page.unit_cost, page.id"""


def timing(sql: str, runs: int = 5) -> tuple[float, str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        times, plan = [], ""
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            times.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
    return statistics.median(times), plan


def main() -> None:
    today = timezone.localdate()
    start = today + timedelta(days=7)
    end = start + timedelta(days=29)
    rotterdam = Port.objects.get(locode="NLRTM")
    circle = Circle(rotterdam.latitude, rotterdam.longitude, 500)
    box = (
        f"AND w.latitude BETWEEN {circle.latitude - circle.lat_delta} AND {circle.latitude + circle.lat_delta} "
        f"AND w.longitude BETWEEN {circle.longitude - circle.lon_delta} AND {circle.longitude + circle.lon_delta} "
        f"AND (w.latitude - {circle.latitude}) ^ 2 + ((w.longitude - {circle.longitude}) * {circle.lon_scale}) ^ 2"
        f" <= {circle.lat_delta**2}"
    )
    cases = [
        ("(f) no filters, 30 days, 1 unit", f"start={start}&end={end}&quantity=1", 1, ""),
        (
            "(c) forklift + max_price 1.44, 30 days",
            f"features=forklift&max_price=1.44&start={start}&end={end}",
            1,
            "AND w.forklift AND l.price_per_unit_day <= 1.44",
        ),
        ("(b) NLRTM 500 km, 30 days, 40 units", f"port=NLRTM&radius=500&start={start}&end={end}&quantity=40", 40, box),
    ]
    out = [f"Prototype plans ({timezone.now():%Y-%m-%d %H:%M} UTC): rewritten page query, covering index present", ""]
    rows = []
    for label, query, quantity, extra in cases:
        current = orm_sql(query)
        rewritten = sorted_first_sql(start=start, end=end, quantity=quantity, where_extra=extra)
        with connection.cursor() as cursor:  # same 21 listings, same order?
            cursor.execute(current)
            ids_current = [row[0] for row in cursor.fetchall()]
            cursor.execute(rewritten)
            ids_rewritten = [row[0] for row in cursor.fetchall()]
        same = ids_current == ids_rewritten
        result = {"case": label, "same_page": same}
        result["orm"], _ = timing(current)
        result["sorted_first"], _ = timing(rewritten)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(INDEX)
                cursor.execute("ANALYZE warehouses_calendarday")
            result["orm_covering"], plan_orm = timing(current)
            result["sorted_first_covering"], plan = timing(rewritten)
            transaction.set_rollback(True)
        out += [f"=== {label}", rewritten, "", plan, "", "--- ORM query with the covering index:", plan_orm, ""]
        rows.append(result)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE warehouses_calendarday")
    print(
        f"{'case':<42} {'same page':>9} {'ORM':>8} {'ORM+idx':>8} {'sorted':>8} {'sorted+idx':>10}   (median ms, EXPLAIN ANALYZE)"
    )
    for r in rows:
        print(
            f"{r['case']:<42} {r['same_page']!s:>9} {r['orm']:8.2f} {r['orm_covering']:8.2f} "
            f"{r['sorted_first']:8.2f} {r['sorted_first_covering']:10.2f}"
        )
    Path(ROOT / "bench" / "explain-prototype.txt").write_text("\n".join(out) + "\n")
    print("Plans written to bench/explain-prototype.txt")


if __name__ == "__main__":
    main()
