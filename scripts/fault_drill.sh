#!/usr/bin/env bash
# Fault drill (`make fault-drill`, run by .ci/run after the production smoke): proves Wareshare keeps
# its money and its calendar straight when things break. It starts its OWN PostgreSQL cluster (initdb
# into a temporary directory, fsync off) and its OWN redis-server (no persistence), so it may stop and
# restart them freely; production settings; gunicorn + a Celery worker + beat (scripts/prod_services.sh,
# as the production smoke starts them); then scripts/fault_drill.py drives leases over HTTP while it
# injects each fault and checks the invariants. Exits non-zero on any lost or doubled money or unit.
# Bounded: gives up after DRILL_TIME_LIMIT seconds (default 290). Ports: DRILL_PG_PORT, DRILL_REDIS_PORT,
# DRILL_HTTP_PORT (free ones are picked when unset). What each fault shows: docs/operations.md.
#
# `scripts/fault_drill.sh ctl pg-start|pg-stop|redis-start|redis-stop` is how the driver restarts them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prod_services.sh
PY=.venv/bin/python

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
ctl() {
  case "$1" in
    pg-start)
      as_postgres "$(pg_bin)/pg_ctl" -D "$DRILL_PGDATA" -l "$DRILL_WORK/postgres.log" -w -t 30 start \
        -o "-p $DRILL_PG_PORT -k $DRILL_PGDATA -c listen_addresses=127.0.0.1 -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=60" >/dev/null
      ;;
    pg-stop) as_postgres "$(pg_bin)/pg_ctl" -D "$DRILL_PGDATA" -m fast -w -t 30 stop >/dev/null ;;
    redis-start)
      redis-server --daemonize yes --bind 127.0.0.1 --port "$DRILL_REDIS_PORT" --save "" --appendonly no \
        --pidfile "$DRILL_WORK/redis.pid" --logfile "$DRILL_WORK/redis.log"
      for _ in $(seq 50); do redis-cli -p "$DRILL_REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
      return 1
      ;;
    redis-stop) redis-cli -p "$DRILL_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true ;;
    *) echo "ctl: pg-start|pg-stop|redis-start|redis-stop" >&2; return 2 ;;
  esac
}
if [ "${1:-}" = ctl ]; then
  ctl "$2"
  exit
fi

LIMIT=${DRILL_TIME_LIMIT:-290}
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
DRILL_WORK=$(mktemp -d -t wareshare-drill.XXXXXX)
chmod 755 "$DRILL_WORK"
export DRILL_WORK
export DRILL_PGDATA="$DRILL_WORK/pg"
export DRILL_PG_PORT=${DRILL_PG_PORT:-$(free_port)}
export DRILL_REDIS_PORT=${DRILL_REDIS_PORT:-$(free_port)}
PORT=${DRILL_HTTP_PORT:-$(free_port)}
BASE="http://127.0.0.1:$PORT"
START=$(date +%s)
DRILL_OK=""
STARTED_PG=""

say() { echo "[drill $(( $(date +%s) - START ))s] $*"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  kill -TERM "$WATCHDOG" 2>/dev/null || true
  # Everything the driver started is listed in pids (one "pid kind" a line); each is its own group.
  if [ -f "$DRILL_WORK/pids" ]; then
    while read -r pid _; do kill -TERM -- "-$pid" 2>/dev/null || true; done <"$DRILL_WORK/pids"
    sleep 1
    while read -r pid _; do kill -KILL -- "-$pid" 2>/dev/null || true; done <"$DRILL_WORK/pids"
  fi
  if [ -z "$DRILL_OK" ]; then
    for log in "$DRILL_WORK"/*.log; do
      [ -s "$log" ] && { echo "----- last lines of $(basename "$log")"; tail -n 25 "$log"; }
    done
    mkdir -p var/fault-drill && cp "$DRILL_WORK"/*.log var/fault-drill/ 2>/dev/null || true
    say "the logs are kept in var/fault-drill/"
  fi
  ctl redis-stop
  [ -n "$STARTED_PG" ] && { ctl pg-stop 2>/dev/null || true; }
  rm -rf "$DRILL_WORK"
  say "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")"
  exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "time limit of ${LIMIT}s reached"; exit 124' TERM
( sleep "$LIMIT"; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG=$!

say "own PostgreSQL on port $DRILL_PG_PORT, own Redis on port $DRILL_REDIS_PORT (in $DRILL_WORK)"
mkdir -p "$DRILL_PGDATA"
[ "$(id -u)" = 0 ] && chown postgres "$DRILL_PGDATA" "$DRILL_WORK"
as_postgres "$(pg_bin)/initdb" -D "$DRILL_PGDATA" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
ctl pg-start
STARTED_PG=1
ctl redis-start
as_postgres "$(pg_bin)/psql" -h 127.0.0.1 -p "$DRILL_PG_PORT" -U postgres -q -c "CREATE DATABASE wareshare"

prod_env "$PORT" "postgres://postgres@127.0.0.1:$DRILL_PG_PORT/wareshare" "$DRILL_REDIS_PORT" "0 1 2" "$DRILL_WORK"
export WARESHARE_DRILL_DIR="$DRILL_WORK/pauses"  # common/drill.py: the driver arms pauses here
export WARESHARE_SIMULATED_GATEWAY_RECORD=1  # every simulated money movement in the database, to count
# The retry sweeps every few seconds, not every five minutes, so the drill sees them work.
WARESHARE_SWEEP_INTERVALS="escrow.processor.payouts_retry=4,escrow.processor.refunds_retry=4"
export WARESHARE_SWEEP_INTERVALS="$WARESHARE_SWEEP_INTERVALS,leasing.services.leases_fund_paid=4"
mkdir -p "$WARESHARE_DRILL_DIR"

say "migrate, collectstatic, seed_demo"
prod_prepare "$DRILL_WORK"

say "start gunicorn on $BASE, a Celery worker and beat"
echo "$(prod_start web "$DRILL_WORK/web.log") web" >>"$DRILL_WORK/pids"
echo "$(prod_start worker "$DRILL_WORK/worker.log" drill) drill" >>"$DRILL_WORK/pids"
echo "$(prod_start beat "$DRILL_WORK/beat.log") beat" >>"$DRILL_WORK/pids"
prod_wait_web "$BASE" || { say "gunicorn did not come up"; exit 1; }
prod_wait_worker "$DRILL_WORK/worker.log" || { say "the Celery worker did not come up"; exit 1; }

say "inject the faults (scripts/fault_drill.py)"
$PY scripts/fault_drill.py --base "$BASE" --work "$DRILL_WORK" ${DRILL_FAULTS:+--faults "$DRILL_FAULTS"}
DRILL_OK=1
