"""Generate the search benchmark's data set in PostgreSQL with set-based SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wareshare_bench \
        .venv/bin/python bench/generate.py --listings 20000 --days 365 [--reset]

Migrates the database, then (unless listings already exist and --reset is not given) creates:
owner organisations, warehouses near the shipped ports (coordinates jittered within ~50 km),
active listings, about four non-overlapping reservations per listing (a third of the days
partly or fully reserved, matching rows in ``warehouses_reservation`` so that
``reserved`` = sum of live reservations holds), and a gap-free calendar of ``--days`` days per
listing starting today. The calendar's indexes are dropped during the bulk insert and rebuilt
after it (definitions are kept in ``bench_saved_index`` until rebuilt, so an interrupted run
repairs itself), then ``VACUUM ANALYZE``.

Refuses to run on a database whose name does not contain "bench".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organisation  # noqa: E402
from warehouses.models import CalendarDay, Listing, Reservation, Warehouse  # noqa: E402

CALENDAR = "warehouses_calendarday"
# Currency by warehouse country (others price in USD); rates turn a EUR base price into it.
EURO = [
    "AT",
    "BE",
    "CY",
    "DE",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PT",
    "SI",
    "SK",
]
CURRENCY_BY_COUNTRY = {c: "EUR" for c in EURO} | {
    "US": "USD",
    "GB": "GBP",
    "CN": "CNY",
    "HK": "HKD",
    "SG": "SGD",
    "JP": "JPY",
    "KR": "KRW",
    "AU": "AUD",
    "CA": "CAD",
    "AE": "AED",
    "BR": "BRL",
}
RATE = {
    "EUR": 1,
    "USD": 1.08,
    "GBP": 0.85,
    "CNY": 7.8,
    "HKD": 8.4,
    "SGD": 1.45,
    "JPY": 165,
    "KRW": 1450,
    "AUD": 1.65,
    "CAD": 1.48,
    "AED": 3.97,
    "BRL": 5.9,
}
ZERO_DECIMAL = {"JPY", "KRW"}


@contextmanager
def step(label: str):
    started = time.perf_counter()
    print(f"  {label} …", end="", flush=True)
    yield
    print(f" {time.perf_counter() - started:6.1f} s", flush=True)


def run(sql: str, params: dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, {**DEFAULTS, **params} if isinstance(params, dict) else params)
        return cursor.rowcount


def insert_select(model, values: dict[str, str], tail: str, *, with_: str = "") -> str:
    """``[WITH …] INSERT INTO <model's table> (every column) SELECT … <tail>``, derived from the model.

    ``values`` maps column names to SQL expressions over ``tail`` (the ``FROM …`` part). Every other
    concrete column is filled the way the ORM would fill it: ``auto_now``/``auto_now_add`` with
    ``now()``, a field default (or a non-null text field's ``''``) as a parameter, a nullable column
    with NULL (left out), a ``db_default`` by the database. A NOT NULL column the generator cannot
    fill (no default, not text) stops the run with its name, so a new column never breaks the data
    silently: give it an expression here. Defaults are bound as ``%(default_<table>_<column>)s``.
    """
    table = model._meta.db_table
    fields = {f.column: f for f in model._meta.concrete_fields}
    unknown = set(values) - set(fields)
    if unknown:
        raise SystemExit(f"generate.py: {table} has no column(s) {sorted(unknown)}")
    columns, exprs = [], []
    for column, field in fields.items():
        if column in values:
            expr = values[column]
        elif field.primary_key or field.null or field.has_db_default():
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expr = "now()"
        elif field.unique:
            if field.get_internal_type() != "UUIDField":
                raise SystemExit(f"generate.py: give {table}.{column} (unique, NOT NULL) a value")
            expr = "gen_random_uuid()"
        else:
            default = field.get_default()
            if default is None:
                raise SystemExit(
                    f"generate.py: {table}.{column} is NOT NULL without a default: give it a value in generate.py"
                )
            DEFAULTS[f"default_{table}_{column}"] = field.get_db_prep_save(default, connection)
            expr = f"%(default_{table}_{column})s"
        columns.append(connection.ops.quote_name(column))
        exprs.append(expr)
    return f"{with_}\nINSERT INTO {table} ({', '.join(columns)})\nSELECT " + ",\n       ".join(exprs) + f"\n{tail}"


# Parameters for the model defaults used by insert_select (merged into every statement's params).
DEFAULTS: dict[str, object] = {}


def scalar(sql: str, params: dict | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def saved_calendar_indexes() -> list[tuple[str, str, str]]:
    """(kind, name, definition) of the calendar's primary key, unique constraint and indexes.

    Taken from the catalog the first time and kept in ``bench_saved_index`` until they are
    rebuilt, so a run interrupted between drop and rebuild restores them next time.
    """
    run("CREATE TABLE IF NOT EXISTS bench_saved_index (pos int, kind text, name text, definition text)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, name, definition FROM bench_saved_index ORDER BY pos")
        rows = cursor.fetchall()
        if rows:
            return rows
        cursor.execute(
            """
            SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid)
              FROM pg_constraint c
             WHERE c.conrelid = %(t)s::regclass AND c.contype IN ('p', 'u')
            UNION ALL
            SELECT 'index', i.relname, pg_get_indexdef(i.oid)
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = %(t)s::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """,
            {"t": CALENDAR},
        )
        rows = cursor.fetchall()
        for pos, (kind, name, definition) in enumerate(rows):
            cursor.execute("INSERT INTO bench_saved_index VALUES (%s, %s, %s, %s)", [pos, kind, name, definition])
    return rows


def drop_calendar_indexes(saved: list[tuple[str, str, str]]) -> None:
    for kind, name, _ in saved:
        if kind == "constraint":
            run(f'ALTER TABLE {CALENDAR} DROP CONSTRAINT IF EXISTS "{name}"')
        else:
            run(f'DROP INDEX IF EXISTS "{name}"')


def rebuild_calendar_indexes(saved: list[tuple[str, str, str]]) -> None:
    for kind, name, definition in saved:
        with step(f"index {name}"):
            exists = scalar("SELECT count(*) FROM pg_class WHERE relname = %s", [name])
            if exists:
                continue
            if kind == "constraint":
                run(f'ALTER TABLE {CALENDAR} ADD CONSTRAINT "{name}" {definition}')
            else:
                run(definition)
    run("DELETE FROM bench_saved_index")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=20000)
    parser.add_argument("--days", type=int, default=365, help="calendar days per listing, from today")
    parser.add_argument("--warehouses", type=int, help="default: listings × 0.4")
    parser.add_argument("--owners", type=int, help="default: listings / 40")
    parser.add_argument("--seed", type=float, default=0.42, help="PostgreSQL setseed() value in [-1, 1]")
    parser.add_argument("--reset", action="store_true", help="delete existing bench data first")
    args = parser.parse_args()
    n_listings = args.listings
    n_warehouses = args.warehouses or max(1, round(n_listings * 0.4))
    n_owners = args.owners or max(1, n_listings // 40)
    days = args.days
    if days < 8:
        parser.error("--days must be at least 8")

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(
            f"Refusing: needs a PostgreSQL database whose name contains 'bench' (got {connection.vendor} {name!r})."
        )

    total = time.perf_counter()
    print(f"Database {name}: {n_owners} owners, {n_warehouses} warehouses, {n_listings} listings × {days} days")
    with step("migrate"):
        call_command("migrate", verbosity=0)

    saved = saved_calendar_indexes()
    existing = scalar("SELECT count(*) FROM warehouses_listing")
    if existing and not args.reset:
        if scalar("SELECT count(*) FROM bench_saved_index"):
            rebuild_calendar_indexes(saved)
        print(f"Already has {existing} listings; nothing to do (use --reset to regenerate).")
        return

    today = timezone.localdate()
    params = {
        "today": today,
        "days": days,
        "n_owners": n_owners,
        "n_warehouses": n_warehouses,
        "n_listings": n_listings,
        "seed": args.seed,
    }
    run("SET synchronous_commit = off")
    run("SET maintenance_work_mem = '512MB'")
    run("SELECT setseed(%(seed)s)", params)
    try:
        # Foreign keys are satisfied by construction; skipping their per-row triggers keeps the
        # 7 M-row insert set-based (needs a superuser, as in the benchmark setup).
        run("SET session_replication_role = replica")
        fk_skipped = True
    except Exception:
        fk_skipped = False

    # A run that stopped half-way (an error after the organisations were inserted) left rows behind.
    leftover = scalar(
        "SELECT (SELECT count(*) FROM accounts_organisation) + (SELECT count(*) FROM warehouses_warehouse)"
    )
    if existing or leftover or args.reset:
        with step("reset (TRUNCATE … CASCADE)"):
            run(
                "TRUNCATE accounts_organisation, warehouses_warehouse, warehouses_warehousephoto, "
                "warehouses_listing, warehouses_calendarday, warehouses_reservation, "
                "warehouses_capacityexception RESTART IDENTITY CASCADE"
            )

    with step(f"{n_owners} owner organisations"):
        run(
            insert_select(
                Organisation,
                {
                    "name": "'Bench Logistics ' || lpad(g::text, 4, '0')",
                    "is_owner": "true",
                    "is_exporter": "false",
                    "country": "p.country",
                    "legal_name": "'Bench Logistics ' || lpad(g::text, 4, '0') || ' Ltd'",
                    "registration_number": "'BL' || g",
                    "verification_status": "CASE WHEN r.v < 0.6 THEN 'verified' ELSE 'unverified' END",
                    "verified_at": "CASE WHEN r.v < 0.6 THEN now() END",
                    "credit_score": "CASE WHEN r.v < 0.8 THEN s.score END",
                    "credit_grade": (
                        "CASE WHEN r.v >= 0.8 THEN '' WHEN s.score >= 80 THEN 'A' WHEN s.score >= 65 THEN 'B' "
                        "WHEN s.score >= 50 THEN 'C' WHEN s.score >= 35 THEN 'D' ELSE 'E' END"
                    ),
                    "created_at": "now() - random() * interval '3 years'",
                },
                """
              FROM generate_series(1, %(n_owners)s) g
              CROSS JOIN LATERAL (SELECT random() AS v, g AS keep) r
              CROSS JOIN LATERAL (SELECT 20 + floor(random() * 81)::int AS score, g AS keep) s
              JOIN (SELECT row_number() OVER (ORDER BY locode) - 1 AS i, country FROM warehouses_port) p
                ON p.i = g %% (SELECT count(*) FROM warehouses_port)
                """,
            ),
            params,
        )

    with step(f"{n_warehouses} warehouses near ports"):
        run(
            insert_select(
                Warehouse,
                {
                    "organisation_id": "(SELECT min(id) FROM accounts_organisation) + k.owner_i - 1",
                    "name": "p.name || ' Logistics Park ' || k.g",
                    "address": "k.g || ' Harbour Road'",
                    "city": "left(p.name, 100)",
                    "country": "p.country",
                    "latitude": "greatest(-89.9, least(89.9, p.latitude + k.dlat))",
                    "longitude": (
                        "((p.longitude + k.dlon_km_deg / greatest(cos(radians(p.latitude)), 0.05) + 540)::numeric"
                        " %% 360 - 180)::float8"
                    ),
                    "nearest_port_id": "p.locode",
                    "timezone": "'UTC'",
                    "customs_status": (
                        "CASE WHEN k.c < 0.7 THEN 'general' WHEN k.c < 0.9 THEN 'bonded' ELSE 'free_trade_zone' END"
                    ),
                    "temperature_controlled": "k.f1 < 0.20",
                    "hazmat": "k.f2 < 0.10",
                    "racking": "k.f3 < 0.60",
                    "access_24_7": "k.f4 < 0.30",
                    "cctv": "k.f5 < 0.70",
                    "loading_dock": "k.f6 < 0.50",
                    "forklift": "k.f7 < 0.60",
                    "fire_suppression": "k.f8 < 0.40",
                    "opening_hours": "'Mon–Fri 08:00–18:00'",
                    "created_at": "now() - random() * interval '3 years'",
                },
                "FROM picks k JOIN ports p ON p.i = k.port_i ORDER BY k.g",
                with_="""
            WITH ports AS (
                SELECT row_number() OVER (ORDER BY locode) - 1 AS i, locode, name, country, latitude, longitude
                  FROM warehouses_port
            ), picks AS MATERIALIZED (
                SELECT g,
                       floor(random() * (SELECT count(*) FROM ports))::int AS port_i,
                       (random() * 2 - 1) * 0.45 AS dlat,           -- ±0.45° ≈ ±50 km
                       (random() * 2 - 1) * 0.45 AS dlon_km_deg,
                       random() AS c, random() AS f1, random() AS f2, random() AS f3, random() AS f4,
                       random() AS f5, random() AS f6, random() AS f7, random() AS f8,
                       1 + floor(random() * %(n_owners)s)::int AS owner_i
                  FROM generate_series(1, %(n_warehouses)s) g
            )""",
            ),
            params,
        )

    currency_values = ", ".join(f"('{c}', '{cur}')" for c, cur in CURRENCY_BY_COUNTRY.items())
    rate_values = ", ".join(f"('{cur}', {rate}, {0 if cur in ZERO_DECIMAL else 2})" for cur, rate in RATE.items())
    with step(f"{n_listings} active listings"):
        run(
            insert_select(
                Listing,
                {
                    "warehouse_id": "l.warehouse_id",
                    "title": (
                        "CASE l.unit WHEN 'pallet' THEN 'Pallet positions' WHEN 'sqm' THEN 'Floor space' "
                        "ELSE 'Bulk volume' END || ' at ' || left(l.warehouse_name, 150)"
                    ),
                    "unit": "l.unit",
                    "capacity": (
                        "CASE l.unit WHEN 'pallet' THEN 100 + floor(l.cap * 1900) "
                        "WHEN 'sqm' THEN 200 + floor(l.cap * 4800) ELSE 300 + floor(l.cap * 7700) END"
                    ),
                    "price_per_unit_day": (
                        "round((CASE l.unit WHEN 'pallet' THEN 0.25 + l.price * 1.25 "
                        "WHEN 'sqm' THEN 0.10 + l.price * 0.70 ELSE 0.05 + l.price * 0.35 END"
                        " * r.rate)::numeric, r.digits)"
                    ),
                    "currency": "l.currency",
                    "handling_in_fee": "round((l.fee_in * 8 * r.rate)::numeric, r.digits)",
                    "handling_out_fee": "round((l.fee_out * 8 * r.rate)::numeric, r.digits)",
                    "min_days": "l.min_days",
                    "max_days": "365",
                    "available_from": "%(today)s::date",
                    "calendar_until": "%(today)s::date + (%(days)s - 1)",
                    "instant_book": "l.instant < 0.3",
                    "cancellation_policy": (
                        "CASE WHEN l.policy < 0.3 THEN 'flexible' WHEN l.policy < 0.8 THEN 'moderate' ELSE 'strict' END"
                    ),
                    "status": "'active'",
                    "created_at": "now() - l.age",
                    "updated_at": "now()",
                },
                f"FROM listing l JOIN (VALUES {rate_values}) r(currency, rate, digits) ON r.currency = l.currency"
                " ORDER BY l.g",
                with_=f"""
            WITH w AS (
                SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, name, country FROM warehouses_warehouse
            ), picks AS MATERIALIZED (
                SELECT g, random() AS u, random() AS cap, random() AS price, random() AS fee_in,
                       random() AS fee_out, 1 + floor(random() * 14)::int AS min_days,
                       random() AS instant, random() AS policy, random() * interval '2 years' AS age
                  FROM generate_series(1, %(n_listings)s) g
            ), listing AS (
                SELECT k.*, w.id AS warehouse_id, w.name AS warehouse_name,
                       coalesce(cc.currency, 'USD') AS currency,
                       CASE WHEN k.u < 0.5 THEN 'pallet' WHEN k.u < 0.8 THEN 'sqm' ELSE 'cbm' END AS unit
                  FROM picks k
                  JOIN w ON w.i = (k.g - 1) %% %(n_warehouses)s
                  LEFT JOIN (VALUES {currency_values}) cc(country, currency) ON cc.country = w.country
            )""",
            ),
            params,
        )

    # Four segments per listing, each holding one reservation (15–50 % of the segment, so a third
    # of the days on average); a quarter of the reservations take the whole capacity.
    with step("reservation segments (~4 per listing)"):
        run("DROP TABLE IF EXISTS bench_segment")
        run(
            """
            CREATE UNLOGGED TABLE bench_segment AS
            WITH seg AS (
                SELECT l.id AS listing_id, l.capacity, s,
                       s * (%(days)s / 4) AS seg_from,
                       CASE WHEN s = 3 THEN %(days)s - 1 ELSE (s + 1) * (%(days)s / 4) - 1 END AS seg_to,
                       greatest(1, round((%(days)s / 4) * (0.15 + random() * 0.35)))::int AS len,
                       random() AS off, random() AS q
                  FROM warehouses_listing l CROSS JOIN generate_series(0, 3) s
            )
            SELECT listing_id, capacity, s, seg_from, seg_to,
                   seg_from + floor(off * ((%(days)s / 4) - len + 1))::int AS res_from,
                   seg_from + floor(off * ((%(days)s / 4) - len + 1))::int + len - 1 AS res_to,
                   CASE WHEN q < 0.25 THEN capacity ELSE 1 + floor((q - 0.25) / 0.75 * (capacity - 1))::int END AS quantity
              FROM seg
             ORDER BY listing_id, s
            """,
            params,
        )
        run(
            insert_select(
                Reservation,
                {
                    "listing_id": "listing_id",
                    "start": "%(today)s::date + res_from",
                    "end": "%(today)s::date + res_to",
                    "quantity": "quantity",
                    "created_at": "now()",
                },
                "FROM bench_segment ORDER BY listing_id, s",
            ),
            params,
        )

    saved = saved_calendar_indexes()
    with step(f"drop {len(saved)} calendar indexes for the bulk insert"):
        drop_calendar_indexes(saved)
    # bench_segment is scanned in insertion order (listing, segment), so rows land in
    # (listing, day) order as if each listing's calendar had been created at once.
    with step(f"calendar: {n_listings} × {days} days"):
        rows = run(
            insert_select(
                CalendarDay,
                {
                    "listing_id": "s.listing_id",
                    "day": "%(today)s::date + i",
                    "capacity": "s.capacity",
                    "reserved": "CASE WHEN i BETWEEN s.res_from AND s.res_to THEN s.quantity ELSE 0 END",
                },
                "FROM bench_segment s CROSS JOIN LATERAL generate_series(s.seg_from, s.seg_to) i",
            ),
            params,
        )
    print(f"    {rows:,} calendar rows")
    rebuild_calendar_indexes(saved)
    run("DROP TABLE bench_segment")
    if fk_skipped:
        run("SET session_replication_role = DEFAULT")

    with step("VACUUM ANALYZE"):
        run("VACUUM ANALYZE")

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM accounts_organisation),
                   (SELECT count(*) FROM warehouses_warehouse),
                   (SELECT count(DISTINCT country) FROM warehouses_warehouse),
                   (SELECT count(*) FROM warehouses_listing WHERE status = 'active'),
                   (SELECT count(*) FROM warehouses_reservation),
                   (SELECT count(*) FROM warehouses_calendarday),
                   (SELECT round(100.0 * count(*) FILTER (WHERE reserved > 0) / count(*), 1) FROM warehouses_calendarday),
                   (SELECT round(100.0 * count(*) FILTER (WHERE reserved = capacity) / count(*), 1) FROM warehouses_calendarday),
                   pg_size_pretty(pg_total_relation_size('warehouses_calendarday')),
                   pg_size_pretty(pg_database_size(current_database()))
            """
        )
        orgs, whs, countries, listings, reservations, cal, pct_res, pct_full, cal_size, db_size = cursor.fetchone()
    print(
        f"Done in {time.perf_counter() - total:.1f} s: {orgs} organisations, {whs} warehouses in {countries} countries, "
        f"{listings} active listings, {reservations} reservations, {cal:,} calendar days "
        f"({pct_res}% with reservations, {pct_full}% full); calendar {cal_size}, database {db_size}."
    )


if __name__ == "__main__":
    main()
