#!/usr/bin/env bash
# Runs the Playwright suite (end2end/) in headless Debian Chromium against the release binary,
# on a fresh SQLite database and a port of its own. Expects `make build` to have run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${E2E_PORT:-3111}
work=$(mktemp -d)
export DATABASE_URL="sqlite://$work/quire.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export QUIRE_PUBLIC_URL="http://127.0.0.1:$port"
export QUIRE_COMMON_PASSWORDS=on
# The suite signs up and in dozens of times a minute from one address; the limiter itself is
# covered by the router tests.
export QUIRE_AUTH_ATTEMPTS_PER_MINUTE=1000
export RUST_LOG=${RUST_LOG:-warn}

./target/release/quire serve >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "e2e: the server did not start" >&2; exit 1; }
  sleep 0.2
done

cd end2end
if ! BASE_URL="http://127.0.0.1:$port" npx playwright test "$@"; then
  echo "--- server log ---"; tail -n 50 "$work/server.log"
  exit 1
fi
