#!/usr/bin/env bash
# Compile the translation catalogues (locale/*/LC_MESSAGES/*.po -> .mo). The .mo files are build
# output, not committed: `make test`, `make demo` and the Docker build run this. Needs GNU gettext
# (msgfmt); a fresh CI machine gets it from apt when it is missing (run as root there).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v msgfmt >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "msgfmt is missing: installing gettext" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq gettext >/dev/null
  else
    echo "msgfmt is missing: install GNU gettext" >&2
    exit 1
  fi
fi
for po in locale/*/LC_MESSAGES/*.po; do
  [ -e "$po" ] || continue
  msgfmt --check -o "${po%.po}.mo" "$po"
done
