#!/usr/bin/env bash
# Receipts and invoices (documents/pdf.py) embed Debian's WenQuanYi Zen Hei font (Latin and Chinese
# glyphs); the tests read the PDFs back with poppler's pdftotext. Install both from Debian's packages
# when missing (the setup runs as root). The Dockerfile installs the font the same way.
set -euo pipefail
packages=(fonts-wqy-zenhei poppler-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages for the PDF documents: ${missing[*]} (apt-get install them as root)." >&2
  exit 1
fi
echo "Installing Debian packages for the PDF documents: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
