#!/usr/bin/env bash
# The browser bundle must not depend on server crates: list the wasm build's dependency tree
# and fail if any of them appears.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tree=$(cargo tree --target wasm32-unknown-unknown --no-default-features --features hydrate -e normal --prefix none)
found=$(grep -E '^(sqlx|sqlx-[a-z]+|argon2|tokio|axum|axum-core|tower-sessions|tower-sessions-core|leptos_axum) v' <<<"$tree" | sort -u || true)
if [ -n "$found" ]; then
  echo "wasm-guard: server crates in the wasm dependency tree:" >&2
  echo "$found" >&2
  exit 1
fi
echo "wasm-guard: no server crates in the wasm bundle ($(sort -u <<<"$tree" | wc -l) crates checked)"
