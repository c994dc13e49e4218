#!/usr/bin/env bash
# Security checks (`make security`, run by .ci/run):
#   1. bandit over our code: fails on any HIGH severity finding.
#   2. pip-audit over the pinned requirements.txt: fails on a known vulnerability. When the
#      vulnerability database cannot be reached (a closed network: PyPI's JSON API and OSV answer
#      nothing), it says so plainly and does not fail the run for that reason alone.
#   3. no secret in the repository: live Stripe keys, private keys, AWS access keys, Slack/GitHub tokens.
# (Password validators, allauth rate limits and upload validation are checked by tests/ops/test_security.py.)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
failed=0

echo "-- bandit (fails on high severity)"
if ! "$VENV/bin/bandit" -q -r . -x ./.venv,./tests,./bench,./var,./staticfiles,./node_modules \
  --severity-level high --confidence-level low; then
  failed=1
fi
medium=$("$VENV/bin/bandit" -q -r . -x ./.venv,./tests,./bench,./var,./staticfiles,./node_modules \
  --severity-level medium -f json 2>/dev/null | "$VENV/bin/python" -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))' || echo "?")
echo "bandit: 0 high; $medium medium-or-higher in all (see: bandit -r . -x ./.venv,./tests,./bench -ll)"

echo "-- pip-audit (requirements.txt)"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
if ! timeout 300 "$VENV/bin/pip-audit" -r requirements.txt -f json --progress-spinner off -o "$report" 2>"$report.err"; then
  # exit 1 also means "vulnerabilities found": the JSON below decides.
  [ -s "$report" ] || { cat "$report.err"; echo "pip-audit could not run"; failed=1; }
fi
if [ -s "$report" ]; then
  "$VENV/bin/python" - "$report" <<'PY' || failed=1
import json
import sys

dependencies = json.load(open(sys.argv[1]))["dependencies"]
audited = [d for d in dependencies if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
if vulnerable:
    sys.exit(1)
if not audited:
    print(
        f"pip-audit: NOT AUDITED — the vulnerability database could not be reached from this machine "
        f"(all {len(dependencies)} pinned packages were skipped: '{dependencies[0]['skip_reason']}'). "
        "Not a failure by itself; run `make security` where PyPI's JSON API or OSV is reachable."
    )
else:
    skipped = len(dependencies) - len(audited)
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities ({skipped} skipped)")
PY
fi
rm -f "$report.err"

echo "-- secrets in the repository"
patterns=(
  'sk_live_[0-9A-Za-z]{10,}'
  'rk_live_[0-9A-Za-z]{10,}'
  'whsec_[0-9A-Za-z]{20,}'
  '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----'
  '(AKIA|ASIA)[0-9A-Z]{16}'
  'xox[abprs]-[0-9A-Za-z-]{10,}'
  'gh[pousr]_[0-9A-Za-z]{36}'
)
found=0
for pattern in "${patterns[@]}"; do
  # Tracked and new (not ignored) files; this script names the patterns, so it is left out.
  if git ls-files -z --cached --others --exclude-standard -- . ':!scripts/security.sh' \
    | xargs -0 -r grep -I -n -E -e "$pattern" -- 2>/dev/null; then
    found=1
  fi
done
if [ "$found" -eq 1 ]; then
  echo "secrets: a file above looks like it holds a real secret"
  failed=1
else
  echo "secrets: none found (${#patterns[@]} patterns over $(git ls-files --cached --others --exclude-standard | wc -l) files)"
fi

exit "$failed"
