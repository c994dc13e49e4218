"""Python time per page: the search page and a listing page, rendered in-process with the test
client, minus the time spent in the database driver (an execute wrapper sums it). Times are the
process's CPU time (``time.process_time``), not wall time, so that other work on a shared machine
does not count; with SQLite the driver's time is in-process and is taken off as well.

Small scale, on whatever DATABASE_URL holds (e.g. ``seed_demo`` on SQLite). No timing is
asserted; "Python time per page" in RESULTS.md has the numbers.

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/pagetime.py --renders 50
    .venv/bin/python bench/pagetime.py --profile /search/   # cProfile of 20 renders, top 40
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from warehouses.models import Listing  # noqa: E402


class Timer:
    """Execute wrapper: the time spent in the database driver."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.process_time() - started


def measure(client: Client, url: str, renders: int, language: str) -> tuple[float, float, float]:
    """Median total, SQL and Python milliseconds of ``renders`` renders (after 5 warm-ups)."""
    timer = Timer()
    totals, sqls = [], []
    with connection.execute_wrapper(timer):
        for n in range(renders + 5):
            timer.seconds = 0.0
            started = time.process_time()
            response = client.get(url, headers={"accept-language": language})
            elapsed = time.process_time() - started
            if response.status_code != 200:
                raise SystemExit(f"{url} → {response.status_code}")
            if n >= 5:
                totals.append(elapsed)
                sqls.append(timer.seconds)
    pythons = [t - s for t, s in zip(totals, sqls, strict=True)]
    return statistics.median(totals) * 1000, statistics.median(sqls) * 1000, statistics.median(pythons) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--profile", metavar="URL", help="profile 20 renders of URL instead")
    args = parser.parse_args()
    client = Client()
    listing = Listing.objects.filter(status="active").order_by("pk").first()
    if listing is None:
        raise SystemExit("no active listing: seed the data first (seed_demo or bench/generate.py)")
    if args.profile:
        for _n in range(5):
            client.get(args.profile)
        profiler = cProfile.Profile()
        profiler.enable()
        for _n in range(20):
            client.get(args.profile)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PAGETIME_SORT", "cumulative")).print_stats(40)
        return
    urls = {
        "search (bare)": "/search/",
        "search (country)": f"/search/?country={listing.warehouse.country}",
        "listing page": f"/listings/{listing.pk}/",
    }
    print(
        f"{'page':<18} {'lang':<8} {'total ms':>9} {'SQL ms':>8} {'Python ms':>10}   (CPU, medians of {args.renders})"
    )
    for name, url in urls.items():
        for language in ("en", "zh-hans"):
            total, sql, python = measure(client, url, args.renders, language)
            print(f"{name:<18} {language:<8} {total:9.2f} {sql:8.2f} {python:10.2f}")


if __name__ == "__main__":
    main()
