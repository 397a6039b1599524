#!/usr/bin/env bash
# Runs the Playwright suite (end2end/) in headless Debian Chromium against the release binary,
# on a fresh SQLite database and a port of its own. Expects `make build` to have run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${E2E_PORT:-3111}
export QUIRE_COMMON_PASSWORDS=on
# The suite signs up, in and writes dozens of times a minute from one address; the limiters
# themselves are covered by the router tests.
export QUIRE_AUTH_ATTEMPTS_PER_MINUTE=1000
export QUIRE_WRITES_PER_MINUTE=1000
export QUIRE_SEARCHES_PER_MINUTE=1000
export QUIRE_PREVIEWS_PER_MINUTE=1000
source scripts/fresh-server.sh

# The first administrator is made the way an operator does it: with the CLI, on the server's
# database, with a password nobody has seen before.
export E2E_ADMIN=e2e_admin
E2E_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
export E2E_ADMIN_PASSWORD
printf '%s\n' "$E2E_ADMIN_PASSWORD" | ./target/release/quire user create --admin \
  --username "$E2E_ADMIN" --email "$E2E_ADMIN@example.test" --password-stdin >/dev/null

cd end2end
if ! BASE_URL="$base_url" npx playwright test "$@"; then
  server_log_tail
  exit 1
fi
