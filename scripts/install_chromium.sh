#!/usr/bin/env bash
# The browser tests (tests/browser/) drive Debian's chromium at /usr/bin/chromium; Playwright never
# downloads a browser. Install it from Debian's packages when it is missing (the setup runs as root),
# with fonts for Latin and Chinese pages (the site speaks English and Simplified Chinese).
set -euo pipefail
packages=(chromium fonts-liberation fonts-wqy-zenhei)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages for the browser tests: ${missing[*]} (apt-get install them as root)." >&2
  exit 1
fi
echo "Installing Debian packages for the browser tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
/usr/bin/chromium --version
