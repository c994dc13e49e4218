#!/usr/bin/env bash
# The production processes, shared by scripts/prod_smoke.sh and scripts/fault_drill.sh (sourced), and
# by scripts/fault_drill.py, which restarts them (`scripts/prod_services.sh start KIND LOG [NAME]`).
#
#   prod_env PORT DATABASE_URL REDIS_PORT "DB DB DB" WORK   export the production environment (dummy secrets)
#   prod_prepare WORK                                      migrate, collectstatic, seed_demo
#   prod_start web|worker|beat LOG [NAME]                  start one in its own session; prints its pid
#   prod_wait_web BASE / prod_wait_worker LOG              wait until it answers (exit 1 if it does not)
#
# Each process runs in a session of its own (setsid): its pid is its process group, so a caller can
# kill it with its children (`kill -KILL -PID`) or only one of them.

prod_env() {
  local port=$1 database_url=$2 redis_port=$3 work=$5
  local -a dbs
  read -r -a dbs <<<"$4"
  export DJANGO_SETTINGS_MODULE=marketplace.settings.production
  DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
  export DJANGO_SECRET_KEY
  export DATABASE_URL="$database_url"
  export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
  export EMAIL_URL="consolemail://"
  export SITE_URL="http://127.0.0.1:$port"
  export REDIS_URL="redis://127.0.0.1:$redis_port/${dbs[0]}"
  export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/${dbs[1]}"
  export CELERY_RESULT_BACKEND="redis://127.0.0.1:$redis_port/${dbs[2]}"
  export DJANGO_STATIC_ROOT="$work/static"
  export MEDIA_ROOT="$work/media"
  export PRIVATE_MEDIA_ROOT="$work/private"
  export GUNICORN_BIND="127.0.0.1:$port"
  export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}
  unset STRIPE_SECRET_KEY STRIPE_PUBLISHABLE_KEY STRIPE_WEBHOOK_SECRET AWS_STORAGE_BUCKET_NAME || true
}

prod_prepare() {
  local work=$1
  timeout 120 .venv/bin/python manage.py migrate --noinput -v0
  timeout 90 .venv/bin/python manage.py collectstatic --noinput -v0
  timeout 60 .venv/bin/python manage.py seed_demo >"$work/seed.log"
}

prod_start() {
  local kind=$1 log=$2 name=${3:-$1}
  local -a command
  case "$kind" in
    web) command=(.venv/bin/gunicorn -c gunicorn.conf.py) ;;
    worker)
      command=(.venv/bin/celery -A marketplace worker --concurrency=1 --hostname="$name@%h" --without-gossip
        --without-mingle)
      ;;
    beat) command=(.venv/bin/celery -A marketplace beat --schedule="$(dirname "$log")/$name-schedule") ;;
    *) echo "prod_start: unknown kind $kind" >&2; return 2 ;;
  esac
  setsid "${command[@]}" >>"$log" 2>&1 </dev/null &
  echo $!
}

prod_wait_web() {
  local base=$1
  for _ in $(seq 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  curl -fsS "$base/healthz" >/dev/null
}

prod_wait_worker() {
  local log=$1
  for _ in $(seq 150); do
    grep -q "ready" "$log" && return 0
    sleep 0.2
  done
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  [ "${1:-}" = start ] || { echo "usage: $0 start web|worker|beat LOG [NAME]" >&2; exit 2; }
  shift
  prod_start "$@"
fi
