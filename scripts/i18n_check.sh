#!/usr/bin/env bash
# The translation catalogues are complete:
#   1. `makemessages` run on a copy of the tree finds exactly the messages locale/zh_Hans has (none
#      new, none gone): every marked string is in the catalogue and nothing stale is left in it;
#   2. `msgfmt --check --statistics` reports 0 untranslated and 0 fuzzy messages for zh_Hans.
# Exits non-zero otherwise, saying what to do. The working tree is never modified (only the .mo
# files, which are build output).
#
#   scripts/i18n_check.sh           check (CI)
#   scripts/i18n_check.sh --update  update locale/*/LC_MESSAGES/django.po in place from the code,
#                                   then translate the new (empty or fuzzy) entries and run the check
#
# There are no translatable JavaScript strings (static/js has none): add a djangojs domain here
# (makemessages -d djangojs) when there are.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
LOCALES=(zh_Hans)
# What is not part of the product: tests, benchmarks, scripts, docs, vendored and built files.
MAKEMESSAGES=(makemessages --add-location=file --no-obsolete
  -i node_modules -i tests -i bench -i scripts -i docs -i schema -i static -i staticfiles -i var -i media)
export DJANGO_SETTINGS_MODULE=marketplace.settings.test

makemessages() {  # $1: the tree to run in
  for locale in "${LOCALES[@]}"; do
    (cd "$1" && "$PY" manage.py "${MAKEMESSAGES[@]}" -l "$locale" -v0)
  done
}

./scripts/i18n_compile.sh  # gettext is installed, and every catalogue compiles with --check

if [ "${1:-}" = "--update" ]; then
  makemessages "$ROOT"
  echo "Updated the catalogues: translate the new and fuzzy entries, then run $0 again."
  exit 0
fi

status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rsync -a --exclude=.git --exclude=.venv --exclude=node_modules --exclude=var --exclude=media \
  --exclude=staticfiles --exclude=test-artifacts --exclude='__pycache__' ./ "$tmp/"
makemessages "$tmp"

for locale in "${LOCALES[@]}"; do
  po="locale/$locale/LC_MESSAGES/django.po"
  if ! "$PY" - "$po" "$tmp/$po" <<'EOF'
import re
import sys


def messages(path: str) -> set[tuple[str, str, str]]:
    """(context, msgid, msgid_plural) of every live entry; the header and obsolete entries left out."""
    found, entry, key = set(), {}, None
    lines = open(path, encoding="utf-8").read().splitlines() + [""]
    for line in lines:
        if not line.strip():
            if entry.get("msgid"):
                found.add((entry.get("msgctxt", ""), entry["msgid"], entry.get("msgid_plural", "")))
            entry, key = {}, None
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line):
            key = match.group(1)
            entry[key] = match.group(2)
        elif line.startswith('"') and key:
            entry[key] += line[1:-1]
    return found


committed, extracted = messages(sys.argv[1]), messages(sys.argv[2])
for title, rows in (("new in the code", extracted - committed), ("gone from the code", committed - extracted)):
    for context, msgid, _plural in sorted(rows):
        print(f"{sys.argv[1]}: {title}: {context + ' | ' if context else ''}{msgid}")
sys.exit(1 if committed != extracted else 0)
EOF
  then
    echo "$po is out of date: run scripts/i18n_check.sh --update, translate, and commit it." >&2
    status=1
  fi
  stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1)
  echo "$locale: $stats"
  if grep -Eq "fuzzy|untranslated" <<<"$stats"; then
    echo "$po has untranslated or fuzzy messages: translate them (and remove the fuzzy flags)." >&2
    status=1
  fi
done
exit $status
