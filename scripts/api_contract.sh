#!/usr/bin/env bash
# The API contract (`make api-contract`, run by .ci/run): Schemathesis's CLI against the live server
# finds nothing. A throwaway SQLite database under var/api-contract/ is migrated and seeded with the
# demo (seed_demo) and a write key of the demo owner (manage.py api_key_create); gunicorn serves it on
# 127.0.0.1:$API_CONTRACT_PORT with the test settings; then `schemathesis run` drives every operation
# of schema/openapi.yaml with every check and every phase (examples, coverage, fuzzing, stateful),
# configured by scripts/api_contract.toml (and the check in scripts/api_contract_checks.py). Any
# failure fails the script. Writes change the data: the database is made anew on every run.
#
# Bounded: Schemathesis's own budget is API_CONTRACT_TIME_LIMIT seconds (default 150: fuzzing and
# stateful testing go on until it is spent), and it is killed 30 s later; the seed is fixed
# (API_CONTRACT_SEED) so a run can be replayed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${API_CONTRACT_PORT:-18850}
SEED=${API_CONTRACT_SEED:-20261207}
EXAMPLES=${API_CONTRACT_EXAMPLES:-25}
LIMIT=${API_CONTRACT_TIME_LIMIT:-150}
WORK=var/api-contract
BASE="http://127.0.0.1:$PORT"
SERVER=""
START=$(date +%s)

say() { echo "[api-contract $(($(date +%s) - START))s] $*"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$WORK/server.log" ]; then
    echo "----- last lines of the server log ($WORK/server.log)"
    # Access lines and Django's one-line 4xx warnings left out: what remains is errors and tracebacks.
    grep -v -E '" [1-4][0-9][0-9] |^[A-Z][A-Za-z ]+: /api/' "$WORK/server.log" | tail -n 60 || true
  fi
  rm -f "$WORK"/db.sqlite3*
  say "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  say "port $PORT is taken: set API_CONTRACT_PORT"
  exit 1
fi
rm -rf "$WORK"
mkdir -p "$WORK"
export DJANGO_SETTINGS_MODULE=marketplace.settings.test
export DATABASE_URL="sqlite:///$PWD/$WORK/db.sqlite3"
# Rate limits stay on (429 is in the schema), high enough that the run tests more than the throttle.
export WARESHARE_API_RATE_KEY=100000/min WARESHARE_API_RATE_USER=100000/min WARESHARE_API_RATE_ANON=100000/min
export MEDIA_ROOT="$PWD/$WORK/media" PRIVATE_MEDIA_ROOT="$PWD/$WORK/private"

say "migrate and seed the demo ($WORK/db.sqlite3)"
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo >"$WORK/seed.log"
API_CONTRACT_OWNER_KEY=$($PY manage.py api_key_create --organisation "Rotterdam Harbour Storage" \
  --user owner@wareshare.test --scope write --name "API contract")
API_CONTRACT_EXPORTER_KEY=$($PY manage.py api_key_create --organisation "Shenzhen Bright Goods" \
  --user exporter@wareshare.test --scope write --name "API contract")
export API_CONTRACT_OWNER_KEY API_CONTRACT_EXPORTER_KEY  # the Authorization headers of api_contract.toml

say "serve it on $BASE"
.venv/bin/gunicorn marketplace.wsgi --bind "127.0.0.1:$PORT" --workers 1 --threads 1 --timeout 30 \
  --access-logfile - >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$BASE/healthz" >/dev/null || { say "the server did not come up"; exit 1; }

# Goods: the demo's checked-in leases hold stock (their check-ins received it). The exporter orders one unit out
# through the API, so the order steps have an order to act on whatever else the demo seeds.
say "an outbound order through the API"
$PY - "$BASE" "$API_CONTRACT_EXPORTER_KEY" <<'PYTHON'
import json
import sys
import urllib.request

base, key = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


level = next(row for row in call("GET", "/api/v1/stock/?page_size=100")["results"] if row["available"] > 0)
body = {"kind": "pickup", "reference": "API contract", "lines": [{"sku": level["product"]["sku"], "quantity": 1}]}
order = call("POST", f"/api/v1/leases/{level['lease']}/orders/", body)
print(f"order {order['id']} on lease {level['lease']}")
PYTHON

# The schema's paths start with /api/v1/, so the base URL is the server's origin.
say "schemathesis: every check, every phase, seed $SEED, $EXAMPLES examples per operation, ${LIMIT}s"
status=0
timeout --kill-after=10 $((LIMIT + 30)) .venv/bin/schemathesis --config-file scripts/api_contract.toml --no-color \
  run schema/openapi.yaml --url "$BASE" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$EXAMPLES" \
  --max-time "$LIMIT" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 30 \
  >"$WORK/schemathesis.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  cat "$WORK/schemathesis.log"
  [ "$status" -eq 124 ] && say "schemathesis did not stop within $((LIMIT + 30))s"
  exit "$status"
fi
sed -n '/= SUMMARY =/,$p' "$WORK/schemathesis.log"
