# Sourced by the test scripts: starts the release binary (`make build` first) on a fresh SQLite
# database in a temporary folder, listening on 127.0.0.1:$port, and stops it and removes the
# folder when the script exits. Callers set `port` and any QUIRE_* settings before sourcing.
# Afterwards: $work (the folder), $server (the pid), $base_url, and `server_log_tail`.

work=$(mktemp -d)
base_url="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$work/quire.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export QUIRE_PUBLIC_URL="$base_url"
export RUST_LOG=${RUST_LOG:-warn}

./target/release/quire serve >"$work/server.log" 2>&1 &
server=$!
stop_fresh_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_fresh_server EXIT

server_log_tail() { echo "--- server log ---"; tail -n 50 "$work/server.log"; }

for _ in $(seq 1 100); do
  curl -fsS "$base_url/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.2
done
