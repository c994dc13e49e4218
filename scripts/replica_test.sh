#!/usr/bin/env bash
# `make replica-test` (run by .ci/run): start a real primary + streaming standby (scripts/replica.sh),
# run tests/ops/test_replica.py against them, tear both down. Fails if a test fails, is skipped or
# deselected, or if fewer tests ran than the module holds: it must never pass by not running.
set -euo pipefail
cd "$(dirname "$0")/.."
REPORT=$(mktemp -t replica-test.XXXXXX.xml)
trap 'status=$?; ./scripts/replica.sh down || true; rm -f "$REPORT"; exit $status' EXIT

./scripts/replica.sh up
eval "$(./scripts/replica.sh env | sed 's/^/export /')"
export DATABASE_URL="$REPLICA_TEST_PRIMARY_URL" DATABASE_REPLICA_URL="$REPLICA_TEST_REPLICA_URL"
export DJANGO_SETTINGS_MODULE=marketplace.settings.test

expected=$(grep -c '^def test_' tests/ops/test_replica.py)
status=0
.venv/bin/python -m pytest -p no:randomly -rsx tests/ops/test_replica.py --junitxml="$REPORT" || status=$?
.venv/bin/python - "$REPORT" "$expected" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
tests, skipped = int(suite.get("tests")), int(suite.get("skipped"))
failed = int(suite.get("failures")) + int(suite.get("errors"))
expected = int(sys.argv[2])
print(f"replica-test: {tests} tests ({expected} expected), {skipped} skipped, {failed} failed or errors")
if tests != expected or skipped or failed:
    sys.exit("replica-test: FAILED (every replica test must run and pass)")
EOF
exit "$status"
