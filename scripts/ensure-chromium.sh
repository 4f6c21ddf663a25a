#!/usr/bin/env bash
# Installs Debian's Chromium for the review page's browser test, if it is missing.
# Playwright drives /usr/bin/chromium through executable_path: no browser is downloaded by Playwright.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-chromium: $CHROMIUM is missing and this user cannot install packages; run: apt-get install -y chromium" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get here; install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian chromium (for storyvid_tests/review/test_browser.py)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
test -x "$CHROMIUM"
