#!/usr/bin/env bash
# Runs the Playwright suite (end2end/) in headless Debian Chromium against the release binary,
# on a fresh SQLite database and a port of its own. Expects `make build` to have run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${E2E_PORT:-3111}
export QUIRE_COMMON_PASSWORDS=on
# The suite signs up and in dozens of times a minute from one address; the limiter itself is
# covered by the router tests.
export QUIRE_AUTH_ATTEMPTS_PER_MINUTE=1000
source scripts/fresh-server.sh

cd end2end
if ! BASE_URL="$base_url" npx playwright test "$@"; then
  server_log_tail
  exit 1
fi
