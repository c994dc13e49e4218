#!/usr/bin/env bash
# A real streaming replica on this machine, for `make replica-test` (scripts/replica_test.sh):
#
#   scripts/replica.sh up             primary cluster (initdb, wal_level=replica, trust for replication
#                                     from 127.0.0.1) on REPLICA_PRIMARY_PORT (5442) with database
#                                     REPLICA_DB (wareshare), migrated; a hot standby made with
#                                     `pg_basebackup -R` on REPLICA_STANDBY_PORT (5443), streaming
#   scripts/replica.sh down           stop both clusters and delete their directory
#   scripts/replica.sh stop-replica   stop / start only the standby (the test of the fallback)
#   scripts/replica.sh start-replica
#   scripts/replica.sh env            the URLs the test reads (REPLICA_TEST_PRIMARY_URL, …)
#
# Both clusters live in REPLICA_DIR (/tmp/wareshare-replica-<primary port>) and listen on 127.0.0.1
# only; nothing else on the machine is touched. PostgreSQL refuses to run as root, so as root the
# server commands run as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."
PRIMARY_PORT=${REPLICA_PRIMARY_PORT:-5442}
STANDBY_PORT=${REPLICA_STANDBY_PORT:-5443}
DIR=${REPLICA_DIR:-/tmp/wareshare-replica-$PRIMARY_PORT}
DB=${REPLICA_DB:-wareshare}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
PRIMARY_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
STANDBY_URL="postgres://postgres@127.0.0.1:$STANDBY_PORT/$DB"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_at() {  # psql_at PORT SQL
  "$PGBIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atqc "$2"
}
say() { echo "[replica] $*"; }

start_standby() {
  as_pg "$PGBIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w -t 60 start >/dev/null
}

stop_cluster() {  # stop_cluster NAME: only the cluster in our own directory (its postmaster.pid)
  if [ -f "$DIR/$1/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DIR/$1" -m fast -w -t 60 stop >/dev/null || true
  fi
}

wait_caught_up() {  # the standby has replayed everything the primary has written so far
  local target
  target=$(psql_at "$PRIMARY_PORT" "SELECT pg_current_wal_lsn()")
  for _ in $(seq 300); do
    if [ "$(psql_at "$STANDBY_PORT" "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn" 2>/dev/null)" = t ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "the standby did not catch up with the primary in 60 s" >&2
  return 1
}

up() {
  for port in "$PRIMARY_PORT" "$STANDBY_PORT"; do
    if "$PGBIN/pg_isready" -h 127.0.0.1 -p "$port" -q; then
      echo "port $port is already taken: run '$0 down' (or set REPLICA_PRIMARY_PORT/REPLICA_STANDBY_PORT)" >&2
      exit 1
    fi
  done
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR"

  say "primary: initdb on port $PRIMARY_PORT ($DIR/primary)"
  as_pg "$PGBIN/initdb" -D "$DIR/primary" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$DIR/primary/postgresql.conf" <<EOF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '256MB'
hot_standby = on
# A throwaway cluster: durability is not the point, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = '32MB'
EOF
  echo "host replication postgres 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w -t 60 start >/dev/null
  psql_at "$PRIMARY_PORT" "CREATE DATABASE $DB"

  say "standby: pg_basebackup -R from the primary, port $STANDBY_PORT ($DIR/standby)"
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR/standby" -R -X stream -c fast
  cat >>"$DIR/standby/postgresql.auto.conf" <<EOF
port = $STANDBY_PORT
unix_socket_directories = '$DIR'
EOF
  start_standby
  [ "$(psql_at "$STANDBY_PORT" "SELECT pg_is_in_recovery()")" = t ] || { echo "the standby is not in recovery" >&2; exit 1; }

  say "migrate the primary (the standby replays it)"
  DATABASE_URL="$PRIMARY_URL" DJANGO_SETTINGS_MODULE=marketplace.settings.test .venv/bin/python manage.py migrate -v 0
  wait_caught_up
  [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] \
    || { echo "the standby is not streaming from the primary" >&2; exit 1; }
  say "streaming: primary $PRIMARY_URL → standby $STANDBY_URL"
}

down() {
  stop_cluster standby
  stop_cluster primary
  rm -rf "$DIR"
  say "stopped and removed $DIR"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  stop-replica) stop_cluster standby ;;
  start-replica) start_standby && wait_caught_up ;;
  env)
    echo "REPLICA_TEST_PRIMARY_URL=$PRIMARY_URL"
    echo "REPLICA_TEST_REPLICA_URL=$STANDBY_URL"
    ;;
  *) echo "usage: $0 up|down|stop-replica|start-replica|env" >&2; exit 2 ;;
esac
