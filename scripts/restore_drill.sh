#!/usr/bin/env bash
# Backup/restore drill (`make restore-drill`, run by .ci/run): the production settings on the local
# PostgreSQL. A throwaway database (wareshare_restore_src) is migrated and seeded; two processes make
# leases through the services (request, accept, pay, withdraw: scripts/restore_drill.py load) while
# `pg_dump -Fc` backs it up; `pg_restore` puts the backup into a second database
# (wareshare_restore_dst), and the restored copy must be consistent:
#   1. every migration applied (manage.py migrate --check);
#   2. payments the backup caught between "charged" and "funded" are replayed as the processor's
#      webhook would (scripts/restore_drill.py replay; docs/deploy.md);
#   3. manage.py consistency_check: calendar = live holds, holds belong to their leases, every posting
#      balanced, no lease half-written;
#   4. manage.py escrow_reconcile: the ledger agrees with the (simulated) processor, lease by lease.
# The source is checked too once the load stops. Both databases are dropped on exit; Redis databases
# 5 and 6 (cache, broker) are flushed. Bounded: gives up after DRILL_TIME_LIMIT seconds (default 180).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# shellcheck source=scripts/prod_env.sh
. scripts/prod_env.sh
LIMIT=${DRILL_TIME_LIMIT:-180}
SRC=wareshare_restore_src
DST=wareshare_restore_dst
REDIS=redis://127.0.0.1:6379
REDIS_DBS=(5 6)
LOADERS=2

WORK=$(mktemp -d -t wareshare-restore.XXXXXX)
PIDS=()
DRILL_OK=""
START=$(date +%s)

say() { echo "[restore $(( $(date +%s) - START ))s] $*"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  watchdog_stop
  pids_stop "${PIDS[@]}"
  if [ -z "$DRILL_OK" ]; then
    for log in "$WORK"/load-*.log; do
      [ -s "$log" ] && { echo "----- last lines of $(basename "$log")"; tail -n 20 "$log"; }
    done
  fi
  for n in "${REDIS_DBS[@]}"; do redis-cli -u "$REDIS/$n" flushdb >/dev/null 2>&1 || true; done
  db_drop "$SRC"
  db_drop "$DST"
  rm -rf "$WORK"
  say "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")"
  exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "time limit of ${LIMIT}s reached"; exit 124' TERM
watchdog "$LIMIT"

count() { $PG -d "$1" -Atc "$2"; }

# --- the source: production settings, migrated and seeded ------------------------------------
pg_up
redis-cli -u "$REDIS/0" ping >/dev/null || { say "Redis is not running on 127.0.0.1:6379"; exit 1; }
for n in "${REDIS_DBS[@]}"; do redis-cli -u "$REDIS/$n" flushdb >/dev/null; done
db_create "$SRC"
db_drop "$DST"
prod_settings "$SRC" "$REDIS/${REDIS_DBS[0]}" "$REDIS/${REDIS_DBS[1]}" "$REDIS/${REDIS_DBS[1]}" "$WORK"
say "migrate, seed_demo (database $SRC)"
timeout 120 $PY manage.py migrate --noinput -v0
timeout 60 $PY manage.py seed_demo >"$WORK/seed.log"
SEEDED=$(count "$SRC" "SELECT count(*) FROM leasing_lease")

# --- back it up while leases are being made --------------------------------------------------
say "$LOADERS processes make leases through the services (request, accept, pay or withdraw)"
for i in $(seq "$LOADERS"); do
  $PY scripts/restore_drill.py load --seconds "$LIMIT" --seed "$i" >"$WORK/load-$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 150); do
  [ "$(count "$SRC" "SELECT count(*) FROM leasing_lease")" -ge $((SEEDED + 10)) ] && break
  sleep 0.2
done
BEFORE=$(count "$SRC" "SELECT count(*) FROM leasing_lease")
[ "$BEFORE" -gt "$SEEDED" ] || { say "the load made no lease"; exit 1; }
say "pg_dump -Fc while the load runs ($((BEFORE - SEEDED)) leases made so far)"
DUMP_START=$(date +%s.%N)
timeout 60 pg_dump -h 127.0.0.1 -p 5432 -U postgres -Fc -f "$WORK/backup.dump" "$SRC"
DUMP_END=$(date +%s.%N)
AFTER=$(count "$SRC" "SELECT count(*) FROM leasing_lease")
say "backup: $(du -h "$WORK/backup.dump" | cut -f1) in $($PY -c "print(f'{$DUMP_END - $DUMP_START:.1f}')") s; leases $BEFORE before it, $AFTER after it"
sleep 2  # a little more load after the backup: the restored copy must not have it
for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" || { say "a load process failed"; exit 1; }; done
PIDS=()
for i in $(seq "$LOADERS"); do say "load $i: $(tail -n 1 "$WORK/load-$i.log")"; done
FINAL=$(count "$SRC" "SELECT count(*) FROM leasing_lease")

# --- restore into a new database and prove it consistent -------------------------------------
db_create "$DST"
say "pg_restore into $DST"
timeout 60 pg_restore -h 127.0.0.1 -p 5432 -U postgres --exit-on-error --no-owner -d "$DST" "$WORK/backup.dump"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DST"
RESTORED=$(count "$DST" "SELECT count(*) FROM leasing_lease")
say "restored: $RESTORED leases (the source had $BEFORE when the backup started, $FINAL at the end)"
[ "$RESTORED" -ge "$BEFORE" ] && [ "$RESTORED" -le "$AFTER" ] \
  || { say "the restored copy is not the source at one moment during the backup"; exit 1; }
count "$DST" "SELECT state, count(*) FROM leasing_lease GROUP BY state ORDER BY state" | sed 's/^/    /'

say "1. migrations: every one applied"
timeout 60 $PY manage.py migrate --check --noinput -v0
echo "    $(timeout 60 $PY manage.py showmigrations --plan | grep -c '^\[X\]') applied, none unapplied"
say "2. payments caught between charge and funding"
timeout 60 $PY scripts/restore_drill.py replay | sed 's/^/    /'
say "3. manage.py consistency_check on the restored copy"
timeout 60 $PY manage.py consistency_check | sed 's/^/    /'
say "4. manage.py escrow_reconcile on the restored copy"
timeout 60 $PY manage.py escrow_reconcile | sed 's/^/    /'

say "and the source, now that the load has stopped"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$SRC"
timeout 60 $PY manage.py consistency_check | sed 's/^/    /'
timeout 60 $PY manage.py escrow_reconcile | tail -n 1 | sed 's/^/    /'
DRILL_OK=1
