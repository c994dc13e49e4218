#!/usr/bin/env bash
# Load test (not in CI: ~2 minutes). Production settings, gunicorn on 127.0.0.1, a throwaway seeded
# PostgreSQL database (wareshare_load) and the local Redis (cache + broker, databases 10-12); then
# locust headless at each user count for DURATION, and a summary table (throughput, p95, errors).
#   bench/load/run.sh                   # 5, 20, 50 users, 30 s each
# locust lives in its own virtualenv (bench/load/.venv, from requirements-load.txt), made on first use.
#   USERS="5 20" DURATION=20s bench/load/run.sh
# Load with a fault: one level (50 users, 60 s) and one fault FAULT_AT seconds in (default 25), for
# FAULT_FOR seconds (default 10); then error rate and p95 per request, before, during and after it.
#   bench/load/run.sh --fault worker-kill   # SIGKILL one gunicorn worker (the master starts another)
#   bench/load/run.sh --fault redis-stop    # stop Redis (cache and broker) for FAULT_FOR seconds
# A fault run uses a Redis of its own on LOAD_REDIS_PORT (default 6391), never the shared one.
# LOAD_PORT picks gunicorn's port (default: a free one).
# Raw locust CSVs are kept in bench/load/out/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
# shellcheck source=scripts/prod_env.sh
. scripts/prod_env.sh  # PG, db_create, db_drop, free_port, prod_settings
FAULT=""
if [ "${1:-}" = "--fault" ]; then
  FAULT=${2:-}
  case "$FAULT" in worker-kill | redis-stop) ;; *) echo "--fault worker-kill | redis-stop" >&2; exit 2 ;; esac
fi
if [ -n "$FAULT" ]; then
  USERS=${USERS:-50}
  DURATION=${DURATION:-60s}
else
  USERS=${USERS:-"5 20 50"}
  DURATION=${DURATION:-30s}
fi
FAULT_AT=${FAULT_AT:-25}
FAULT_FOR=${FAULT_FOR:-10}
WORKERS=${GUNICORN_WORKERS:-4}
DB=wareshare_load
OUT=bench/load/out
LOCUST=bench/load/.venv/bin/locust
if [ ! -x "$LOCUST" ]; then
  python3 -m venv bench/load/.venv
  bench/load/.venv/bin/pip install --quiet -r requirements-load.txt
fi
WORK=$(mktemp -d -t wareshare-load.XXXXXX)
PIDS=()
REDIS_PORT=6379
REDIS_DBS=(10 11 12)
OWN_REDIS=""
if [ -n "$FAULT" ]; then
  REDIS_PORT=${LOAD_REDIS_PORT:-6391}
  REDIS_DBS=(0 1 2)
  OWN_REDIS=1
fi
redis_start() {
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
redis_stop() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$OWN_REDIS" ]; then
    redis_stop
  else
    for n in "${REDIS_DBS[@]}"; do redis-cli -h 127.0.0.1 -n "$n" flushdb >/dev/null 2>&1 || true; done
  fi
  db_drop "$DB"
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "$OWN_REDIS" ]; then
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { echo "port $REDIS_PORT is taken: set LOAD_REDIS_PORT"; exit 1; }
  redis_start
fi
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || { echo "Redis is not running on 127.0.0.1:$REDIS_PORT"; exit 1; }
db_create "$DB"
PORT=${LOAD_PORT:-$(free_port)}
REDIS="redis://127.0.0.1:$REDIS_PORT"
prod_settings "$DB" "$REDIS/${REDIS_DBS[0]}" "$REDIS/${REDIS_DBS[1]}" "$REDIS/${REDIS_DBS[2]}" "$WORK"
export DJANGO_TRUSTED_PROXY_COUNT=1  # as behind a load balancer: rate limits count X-Forwarded-For
export DJANGO_LOG_LEVEL=WARNING
export GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS="$WORKERS"

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo >/dev/null
.venv/bin/gunicorn -c gunicorn.conf.py --access-logfile /dev/null >"$WORK/web.log" 2>&1 &
GUNICORN=$!
PIDS+=($GUNICORN)
.venv/bin/celery -A marketplace worker --concurrency=1 >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# The fault, FAULT_AT seconds after the first measured request (locust first signs in, which takes
# a few seconds); its window goes to $OUT/fault.txt (epoch seconds: start, end) for the table.
inject() {
  for _ in $(seq 600); do [ -s "$1" ] && break; sleep 0.1; done
  sleep "$FAULT_AT"
  local start
  start=$(date +%s.%N)
  case "$FAULT" in
    worker-kill)
      local victim
      victim=$(pgrep -P "$GUNICORN" | head -n 1)
      echo "fault: SIGKILL gunicorn worker $victim"
      kill -KILL "$victim"
      for _ in $(seq 100); do  # back to full strength: the master has replaced it
        [ "$(pgrep -P "$GUNICORN" | wc -l)" -ge "$WORKERS" ] && ! kill -0 "$victim" 2>/dev/null && break
        sleep 0.1
      done
      ;;
    redis-stop)
      echo "fault: Redis (cache and broker) stopped for ${FAULT_FOR}s"
      redis_stop
      sleep "$FAULT_FOR"
      redis_start
      ;;
  esac
  echo "$start $(date +%s.%N)" >"$OUT/fault.txt"
  echo "fault over after $($PY -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
}

mkdir -p "$OUT"
rm -f "$OUT/fault.txt" "$OUT"/u*_events.csv
echo "gunicorn: $WORKERS workers on 127.0.0.1:$PORT; $(nproc) cores shared with locust and PostgreSQL"
for users in $USERS; do
  echo "== $users users for $DURATION${FAULT:+, fault $FAULT at ${FAULT_AT}s}"
  [ -n "$FAULT" ] && { inject "$OUT/u${users}_events.csv" & PIDS+=($!); }
  LOAD_EVENTS="$OUT/u${users}_events.csv" timeout 300 "$LOCUST" -f bench/load/locustfile.py --headless \
    --host "http://127.0.0.1:$PORT" -u "$users" -r "$users" -t "$DURATION" --csv "$OUT/u$users" --only-summary \
    --loglevel WARNING >"$OUT/u$users.log" 2>&1 || true  # locust exits 1 when a request failed: the table shows it
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

[ -n "$FAULT" ] || exit 0
# Before / during / after the fault, per request, from every request's own line (LOAD_EVENTS).
$PY - "$OUT/fault.txt" "$OUT/u${USERS%% *}_events.csv" <<'PY'
import csv
import sys
from collections import defaultdict

fault_start, fault_end = map(float, open(sys.argv[1]).read().split())
# A request belongs to the phase in which its answer came back (its start + its response time): under
# load a request waits seconds in the queue, and it meets the fault when the server works on it.
rows = [
    (float(t) + float(ms) / 1000, name, float(ms), int(failed)) for t, name, ms, failed in csv.reader(open(sys.argv[2]))
]
first = min(t for t, *_ in rows)
print(f"\nfault from {fault_start - first:.1f}s to {fault_end - first:.1f}s after the first answer\n")
phases = {"before": lambda t: t < fault_start, "during": lambda t: fault_start <= t <= fault_end}
phases["after"] = lambda t: t > fault_end
table = defaultdict(lambda: defaultdict(list))
for t, name, ms, failed in rows:
    phase = next(p for p, inside in phases.items() if inside(t))
    table[name][phase].append((ms, failed))
    table["all requests"][phase].append((ms, failed))


def cell(samples):
    if not samples:
        return "-"
    times = sorted(ms for ms, _ in samples)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    errors = sum(failed for _, failed in samples)
    return f"{len(samples)} / {100 * errors / len(samples):.1f}% / {p95:.0f}"


print("requests / error rate / p95 ms, by when the answer came back\n")
print("| request | before | during | after |")
print("|---|---:|---:|---:|")
for name in sorted(table, key=lambda n: (n == "all requests", n)):
    print(f"| {name} | " + " | ".join(cell(table[name][p]) for p in phases) + " |")
PY
