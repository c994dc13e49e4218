#!/usr/bin/env bash
# Bench smoke (`make bench-smoke`, run by .ci/run): the benchmarks at a tiny scale on a throwaway
# PostgreSQL database, so that they cannot rot. Fails if the generator fails, a search mix or the
# listing page answers anything but 200 or an empty first page where the data guarantees results
# (bench/smoke.py's oracle), or a reservation overbooks (bench/reserve.py: calendar = live
# reservations). No timing is asserted. The database is dropped on exit. Bounded: every step runs
# under what is left of BENCH_SMOKE_TIME_LIMIT seconds (default 120) and is killed when it is spent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DB=${BENCH_SMOKE_DB:-wareshare_bench_smoke}
PGHOST_PORT=${BENCH_SMOKE_PG:-127.0.0.1:5432}
PG="env PGOPTIONS=-cclient_min_messages=warning psql -h ${PGHOST_PORT%:*} -p ${PGHOST_PORT#*:} -U postgres -v ON_ERROR_STOP=1 -q"
LIMIT=${BENCH_SMOKE_TIME_LIMIT:-120}
START=$(date +%s)
say() { echo "[bench-smoke $(($(date +%s) - START))s] $*"; }
# timeout with what is left of the budget (at least 1 s, so a spent budget fails the step at once).
bounded() {
  local left=$((LIMIT - ($(date +%s) - START)))
  timeout --kill-after=5 "$((left > 0 ? left : 1))" "$@" || {
    status=$?
    [ "$status" -eq 124 ] && echo "bench-smoke: over the ${LIMIT} s limit" >&2
    return "$status"
  }
}

case "$DB" in *bench*) ;; *) echo "BENCH_SMOKE_DB must contain 'bench' (the bench scripts refuse others)" >&2; exit 2 ;; esac
OUT=$(mktemp -d -t bench-smoke.XXXXXX)  # outputs of the runs (plans, JSON), not kept
drop() { $PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; }
trap 'status=$?; rm -rf "$OUT"; drop || true; exit $status' EXIT
drop
$PG -d postgres -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://postgres@$PGHOST_PORT/$DB"
export DJANGO_SETTINGS_MODULE=bench.settings

say "generate: 500 listings × 60 days"
bounded $PY bench/generate.py --listings 500 --days 60

say "search benchmark: 3 requests per mix (timings are printed, not judged)"
bounded $PY bench/search.py --requests 3 --warmup 1 --explain "$OUT/explain.txt" --json "$OUT/results.json"

say "search and listing page against the oracle"
bounded $PY bench/smoke.py --rounds 3

say "reservation benchmark: 4 clients × 2 s per scenario, 7-day requests (checks calendar = reservations)"
bounded $PY bench/reserve.py --clients 4 --seconds 2 --warmup 0.5 --profile 5 --days 7 --start-within 45 \
  --json "$OUT/reserve.json"

say "bench smoke passed"
