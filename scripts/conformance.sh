#!/usr/bin/env bash
# Runs the official RealWorld API suite (the Hurl files in ../shared/realworld/hurl) against the
# release binary on a fresh SQLite database. Every request must pass. Expects `make build` and
# `scripts/setup.sh hurl` to have run. REALWORLD_DIR overrides where the suite lives.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

suite=${REALWORLD_DIR:-../shared/realworld}/hurl
[ -d "$suite" ] || { echo "conformance: no suite at $suite (set REALWORLD_DIR)" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"

port=${CONFORMANCE_PORT:-3112}
# The suite's fixtures use `password123`, which the common-password list refuses, and it signs
# up and in ~40 times a minute from one address, and writes ~70 times.
export QUIRE_COMMON_PASSWORDS=off
export QUIRE_AUTH_ATTEMPTS_PER_MINUTE=1000
export QUIRE_WRITES_PER_MINUTE=1000
export QUIRE_SEARCHES_PER_MINUTE=1000
source scripts/fresh-server.sh

# Hurl prints each file's result and a summary (files, requests, duration); any failure fails.
if ! hurl --test --jobs 1 --color --variable host="$base_url" --variable uid="$(date +%s)$$" \
  "$suite"/*.hurl 2>&1 | tee "$work/hurl.log"; then
  server_log_tail
  exit 1
fi
requests=$(grep -o 'Executed requests: *[0-9]*' "$work/hurl.log" | grep -o '[0-9]*$' || true)
echo "conformance: all ${requests:-?} requests of the RealWorld suite passed"
