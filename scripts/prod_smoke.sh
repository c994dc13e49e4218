#!/usr/bin/env bash
# Production smoke (`make prod-smoke`, run by .ci/run): the production settings on 127.0.0.1 with the
# local PostgreSQL (a throwaway database) and Redis (started if it is down, stopped only if started
# here). migrate, collectstatic, seed_demo; gunicorn + a Celery worker + beat in the background; then
# scripts/prod_smoke.py drives one lease from request to release over HTTP and checks that the payout
# was made by the worker, and that /healthz and /readyz answer 200. Everything started here is
# stopped on exit. Bounded: gives up after SMOKE_TIME_LIMIT seconds (default 170). The processes are
# started as scripts/prod_services.sh starts them (shared with the fault drill).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prod_services.sh
PY=.venv/bin/python
# shellcheck source=scripts/prod_env.sh
. scripts/prod_env.sh  # PG, pg_up, db_create, db_drop, free_port, watchdog
LIMIT=${SMOKE_TIME_LIMIT:-170}
DB=${SMOKE_DB:-wareshare_smoke}
REDIS_PORT=${SMOKE_REDIS_PORT:-6379}
# Redis databases of their own, so the smoke neither reads nor clears anyone else's keys.
REDIS_DBS=(13 14 15)

WORK=$(mktemp -d -t wareshare-smoke.XXXXXX)
PIDS=()
STARTED_REDIS=""
SMOKE_OK=""
START=$(date +%s)

say() { echo "[smoke $(( $(date +%s) - START ))s] $*"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  watchdog_stop
  pids_stop "${PIDS[@]}"
  if [ -z "$SMOKE_OK" ]; then
    for log in web worker beat; do
      [ -s "$WORK/$log.log" ] && { echo "----- last lines of the $log log"; tail -n 40 "$WORK/$log.log"; }
    done
  fi
  for n in "${REDIS_DBS[@]}"; do redis-cli -h 127.0.0.1 -p $REDIS_PORT -n "$n" flushdb >/dev/null 2>&1 || true; done
  if [ -n "$STARTED_REDIS" ]; then
    say "stopping the Redis started here"
    redis-cli -h 127.0.0.1 -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || true
  fi
  db_drop "$DB"
  rm -rf "$WORK"
  say "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")"
  exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "time limit of ${LIMIT}s reached"; exit 124' TERM
watchdog "$LIMIT"  # the whole smoke is bounded even if a step hangs

# --- services --------------------------------------------------------------------------------
pg_up
if ! redis-cli -h 127.0.0.1 -p $REDIS_PORT ping >/dev/null 2>&1; then
  say "Redis is down: starting it on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no \
    --logfile "$WORK/redis.log"
  STARTED_REDIS=1
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
for n in "${REDIS_DBS[@]}"; do redis-cli -h 127.0.0.1 -p $REDIS_PORT -n "$n" flushdb >/dev/null; done
db_create "$DB"

# --- the production environment, with dummy secrets ---------------------------------------------
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
GUNICORN_WORKERS=2 prod_env "$PORT" "postgres://postgres@127.0.0.1:5432/$DB" "$REDIS_PORT" "${REDIS_DBS[*]}" "$WORK"

say "migrate, collectstatic, seed_demo (database $DB)"
prod_prepare "$WORK"

say "start gunicorn on $BASE, a Celery worker and beat"
PIDS+=("$(prod_start web "$WORK/web.log")")
PIDS+=("$(prod_start worker "$WORK/worker.log" smoke)")
PIDS+=("$(prod_start beat "$WORK/beat.log")")

prod_wait_web "$BASE" || { say "gunicorn did not come up"; exit 1; }
prod_wait_worker "$WORK/worker.log" || { say "the Celery worker did not come up"; exit 1; }

say "drive one lease from request to release over HTTP"
timeout 120 $PY scripts/prod_smoke.py --base "$BASE" --worker-log "$WORK/worker.log"
grep -q "Scheduler: Sending due task sweep:" "$WORK/beat.log" || grep -q "beat: Starting" "$WORK/beat.log" \
  || { say "beat did not start"; exit 1; }
say "beat is running ($(grep -c "Sending due task" "$WORK/beat.log" || true) sweeps sent so far)"
SMOKE_OK=1
