#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
# In parallel with pytest-xdist, one worker per CPU (`-n logical`; PYTEST_XDIST_AUTO_NUM_WORKERS=N
# sets N), each with its own test database; `--dist loadgroup` hands out single tests and keeps
# the xdist_group ones (the PostgreSQL concurrency tests: tests/conftest.py) on one worker.
# `--no-loadscope-reorder` keeps pytest-django's order (transactional tests after the others: their
# flush empties the ports a data migration wrote, which the tests before them read).
# Arguments are passed on to pytest and come after these: `scripts/test.sh -n 0 tests/api` runs
# in one process (for --pdb, print debugging), `scripts/test.sh -n 4` uses four workers.
# pytest's exit 5 ("no tests collected") is a failure here, never a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/i18n_compile.sh || exit 1  # the translations (.mo files are build output, not committed)
.venv/bin/python -m pytest -n logical --dist loadgroup --no-loadscope-reorder "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "No tests were collected: failing." >&2
  exit 1
fi
exit "$status"
