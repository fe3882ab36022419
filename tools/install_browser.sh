#!/usr/bin/env bash
# Make sure headless Chromium is there for the rendered-book test (Debian package `chromium`).
# Installs it with apt-get when running as root; otherwise says how, and the test is skipped.
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  echo "install_browser: installed $(chromium --version)"
else
  echo "install_browser: chromium is missing; install it (sudo apt-get install chromium)" \
       "or the rendered-book test is skipped" >&2
fi
