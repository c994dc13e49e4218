#!/usr/bin/env bash
# Load test (not in CI: ~2 minutes). Production settings, gunicorn on 127.0.0.1, a throwaway seeded
# PostgreSQL database (wareshare_load) and the local Redis (cache + broker, databases 10-12); then
# locust headless at each user count for DURATION, and a summary table (throughput, p95, errors).
#   bench/load/run.sh                   # 5, 20, 50 users, 30 s each
# locust lives in its own virtualenv (bench/load/.venv, from requirements-load.txt), made on first use.
#   USERS="5 20" DURATION=20s bench/load/run.sh
# Raw locust CSVs are kept in bench/load/out/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
USERS=${USERS:-"5 20 50"}
DURATION=${DURATION:-30s}
WORKERS=${GUNICORN_WORKERS:-4}
DB=wareshare_load
PG="env PGOPTIONS=-cclient_min_messages=warning psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -q"
OUT=bench/load/out
LOCUST=bench/load/.venv/bin/locust
if [ ! -x "$LOCUST" ]; then
  python3 -m venv bench/load/.venv
  bench/load/.venv/bin/pip install --quiet -r requirements-load.txt
fi
WORK=$(mktemp -d -t wareshare-load.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for n in 10 11 12; do redis-cli -h 127.0.0.1 -n "$n" flushdb >/dev/null 2>&1 || true; done
  $PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis is not running on 127.0.0.1:6379"; exit 1; }
$PG -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DJANGO_SETTINGS_MODULE=marketplace.settings.production
DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
export EMAIL_URL="consolemail://"
export REDIS_URL="redis://127.0.0.1:6379/10"
export CELERY_BROKER_URL="redis://127.0.0.1:6379/11"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:6379/12"
export DJANGO_STATIC_ROOT="$WORK/static" MEDIA_ROOT="$WORK/media"
export DJANGO_TRUSTED_PROXY_COUNT=1  # as behind a load balancer: rate limits count X-Forwarded-For
export DJANGO_LOG_LEVEL=WARNING
export GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS="$WORKERS"

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo >/dev/null
.venv/bin/gunicorn -c gunicorn.conf.py --access-logfile /dev/null >"$WORK/web.log" 2>&1 &
PIDS+=($!)
.venv/bin/celery -A marketplace worker --concurrency=1 >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

mkdir -p "$OUT"
echo "gunicorn: $WORKERS workers on 127.0.0.1:$PORT; $(nproc) cores shared with locust and PostgreSQL"
for users in $USERS; do
  echo "== $users users for $DURATION"
  timeout 300 "$LOCUST" -f bench/load/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
    -u "$users" -r "$users" -t "$DURATION" --csv "$OUT/u$users" --only-summary --loglevel WARNING \
    >"$OUT/u$users.log" 2>&1 || true  # locust exits 1 when a request failed: the table shows it
done

$PY - "$OUT" $USERS <<'PY'
import csv
import sys
from pathlib import Path

out, users = Path(sys.argv[1]), sys.argv[2:]
print("\n| users | requests | req/s | p50 ms | p95 ms | p99 ms | failures | error rate |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
rows = {}
for n in users:
    for row in csv.DictReader(open(out / f"u{n}_stats.csv")):
        rows.setdefault(n, {})[row["Name"]] = row
    total = rows[n]["Aggregated"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    # An exception inside a task (a bug in the script or an unexpected page) is an error too.
    failures += sum(int(row["Count"]) for row in csv.DictReader(open(out / f"u{n}_exceptions.csv")))
    print(
        f"| {n} | {requests} | {float(total['Requests/s']):.1f} | {total['50%']} | {total['95%']} | {total['99%']} "
        f"| {failures} | {100 * failures / max(requests, 1):.2f}% |"
    )
print("\np95 (ms) per endpoint:\n")
names = [name for name in rows[users[0]] if name != "Aggregated"]
print("| endpoint | " + " | ".join(f"{n} users" for n in users) + " |")
print("|---|" + "---:|" * len(users))
for name in names:
    cells = [rows[n].get(name, {}).get("95%", "-") for n in users]
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
