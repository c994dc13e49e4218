# Sourced, not run: what scripts/prod_smoke.sh, scripts/restore_drill.sh and bench/load/run.sh share.
# The local PostgreSQL (127.0.0.1:5432, trust, user postgres), throwaway databases, a free port, a
# watchdog, stopping what was started (pids_stop), and the production settings with dummy secrets.
# Source it from the repository root with PY set (PY=.venv/bin/python).

PG="env PGOPTIONS=-cclient_min_messages=warning psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -q"

# PostgreSQL answers on 127.0.0.1:5432 (started from its cluster if it was down).
pg_up() {
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
}

# db_create NAME: a new empty database NAME (dropped first if it exists). db_drop NAME never fails.
db_create() { $PG -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }
db_drop() { $PG -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true; }

# A TCP port nobody listens on, on 127.0.0.1.
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# watchdog SECONDS: this shell gets SIGTERM after SECONDS (trap TERM to say so); watchdog_stop in cleanup.
watchdog() {
  ( sleep "$1"; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
  WATCHDOG=$!
}
watchdog_stop() {
  [ -n "${WATCHDOG:-}" ] || return 0
  pkill -TERM -P "$WATCHDOG" 2>/dev/null || true
  kill -TERM "$WATCHDOG" 2>/dev/null || true
}

# pids_stop PID...: TERM each process, give each up to 10 s to finish, then KILL it.
pids_stop() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# prod_settings DATABASE CACHE_URL BROKER_URL RESULT_URL WORKDIR: export the production settings on
# DATABASE, with Redis at the three URLs, files under WORKDIR and dummy secrets (no Stripe, no S3).
prod_settings() {
  export DJANGO_SETTINGS_MODULE=marketplace.settings.production
  DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
  export DJANGO_SECRET_KEY
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$1"
  export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
  export EMAIL_URL="consolemail://"
  export REDIS_URL="$2" CELERY_BROKER_URL="$3" CELERY_RESULT_BACKEND="$4"
  export DJANGO_STATIC_ROOT="$5/static" MEDIA_ROOT="$5/media"
  unset STRIPE_SECRET_KEY STRIPE_PUBLISHABLE_KEY STRIPE_WEBHOOK_SECRET AWS_STORAGE_BUCKET_NAME || true
}
