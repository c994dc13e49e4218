#!/usr/bin/env bash
# Prepare the embedded demo (SQLite under var/), seed it, and serve it on 127.0.0.1:8000.
# The sweeps (hold expiry, auto-confirm, completion...) run in a background loop beside the server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=marketplace.settings.local
mkdir -p var
./scripts/i18n_compile.sh  # the translations (.mo files are build output, not committed)
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo
$PY manage.py run_sweeps --loop --interval 60 &
SWEEPS=$!
trap 'kill $SWEEPS 2>/dev/null || true' EXIT INT TERM
echo "Wareshare demo: http://127.0.0.1:8000  (Ctrl+C to stop)"
$PY manage.py runserver 127.0.0.1:8000 --noreload
