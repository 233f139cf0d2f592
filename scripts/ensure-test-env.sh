#!/usr/bin/env bash
# Runs before `npm test`: makes sure the two things the suite needs from the machine are there.
#  - Debian's Chromium at /usr/bin/chromium for the browser tests (installed when absent and we are root).
#  - PostgreSQL on 127.0.0.1:5432 for the PostgreSQL storage suites (started when it is installed but down).
# Without root or apt-get it only says what is missing; the suites then explain themselves.
set -u

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests (apt-get install -y chromium)..."
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null || echo "Chromium could not be installed." >&2
  else
    echo "Chromium is missing: install it with 'sudo apt-get install -y chromium'." >&2
  fi
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "Starting PostgreSQL for the PostgreSQL storage suites..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi
exit 0
