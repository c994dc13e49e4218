# Wareshare: `make demo` sets everything up and runs the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint ci prod-smoke fault-drill bench-smoke replica-test restore-drill api-contract security escrow-fuzz stock-fuzz i18n-check

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	./scripts/i18n_compile.sh  # installs gettext if msgfmt is missing; test.sh and demo.sh recompile
	./scripts/install_chromium.sh
	touch $(STAMP)

demo: $(STAMP)
	./scripts/demo.sh

test: $(STAMP)
	./scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) scripts/check_private_imports.py  # no app uses another module's _private names
	$(VENV)/bin/lint-imports  # the contracts in .importlinter: app layers, no cycle inside an app
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) manage.py check

# The translation catalogues are complete and current (scripts/i18n_check.sh; --update to refresh them).
i18n-check: $(STAMP)
	./scripts/i18n_check.sh

# Production smoke: gunicorn + Celery worker + beat on the local PostgreSQL and Redis (scripts/prod_smoke.sh).
prod-smoke: $(STAMP)
	./scripts/prod_smoke.sh

# Faults on a PostgreSQL and a Redis of its own: broker down, worker killed mid-payout, database
# restarted, web worker killed mid-request, a second beat; no money or unit lost or doubled
# (scripts/fault_drill.sh, docs/operations.md "Faults"). About 3 minutes, bounded at 290 s.
fault-drill: $(STAMP)
	./scripts/fault_drill.sh

# The benchmarks at a tiny scale on a throwaway database: generator, search mixes and listing page
# against an oracle, reservations without overbooking; no timing asserted, ≤ 2 minutes (scripts/bench_smoke.sh).
bench-smoke: $(STAMP)
	./scripts/bench_smoke.sh

# The read replica for real: a primary + streaming standby on ports 5442/5443 (scripts/replica.sh), the
# tests of tests/ops/test_replica.py against them, torn down after; fails if any of them is skipped.
replica-test: $(STAMP)
	./scripts/replica_test.sh

# Backup/restore drill: pg_dump a seeded production-settings database while leases are being made,
# pg_restore it, and prove the copy consistent (migrations, consistency_check, escrow_reconcile).
restore-drill: $(STAMP)
	./scripts/restore_drill.sh

# The API contract: Schemathesis's CLI (every check, every phase) against a live server on a throwaway
# copy of the demo finds nothing (scripts/api_contract.sh).
api-contract: $(STAMP)
	./scripts/api_contract.sh

# bandit (0 high), pip-audit on requirements.txt, no secret in the repository (scripts/security.sh).
security: $(STAMP)
	./scripts/security.sh

# The escrow state machine at full strength: 1,000 runs of up to 50 steps on the fake Stripe (CI runs 40 × 20).
escrow-fuzz: $(STAMP)
	ESCROW_FUZZ_EXAMPLES=1000 ESCROW_FUZZ_STEPS=50 $(VENV)/bin/pytest -q -p no:logging tests/escrow/test_escrow_fuzz.py

# The stock ledger's state machine at full strength: 250 runs of up to 30 steps (CI runs 25 × 20).
stock-fuzz: $(STAMP)
	STOCK_FUZZ_EXAMPLES=250 STOCK_FUZZ_STEPS=30 $(VENV)/bin/pytest -q -p no:logging tests/inventory/test_stock_property.py
