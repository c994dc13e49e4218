#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
# pytest's exit 5 ("no tests collected") is a failure here, never a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/i18n_compile.sh || exit 1  # the translations (.mo files are build output, not committed)
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "No tests were collected: failing." >&2
  exit 1
fi
exit "$status"
