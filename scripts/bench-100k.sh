#!/usr/bin/env bash
# Reading pages, search and the admin table browser on a large database: seeds one with the
# release CLI (or reuses it), serves it with the release binary (page cache off), and times,
# one request at a time, the home, tag and API list pages (deep pages included), then 100
# different searches through the page (/search) and the JSON endpoint (/api/search), then
# table-browser pages as an administrator. Prints the seed's own timing line when it seeds,
# then the median, p95 and slowest of the searches and the median of each table page.
# Expects `make build` to have run.
#
#   BENCH_ARTICLES=100000 (default) scripts/bench-100k.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

articles=${BENCH_ARTICLES:-100000}
dir=${BENCH_DIR:-$HOME/.cache/quire/bench}
db="$dir/search-$articles.db"
port=${BENCH_PORT:-3190}
base="http://127.0.0.1:$port"
mkdir -p "$dir"

if [ ! -f "$db" ]; then
  echo "seeding $articles articles into $db"
  DATABASE_URL="sqlite://$db" ./target/release/quire seed --users 1000 --articles "$articles" 2>/dev/null
fi
# The first seeded user administers (the CLI, as an operator would); all share one password.
admin=$(DATABASE_URL="sqlite://$db" ./target/release/quire user promote \
  "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select username from users order by id limit 1').fetchone()[0])" "$db")" |
  awk '{print $1}')

log=$(mktemp)
# The page cache is off: these are the costs of answering, not of reading a cached copy.
DATABASE_URL="sqlite://$db" LEPTOS_SITE_ADDR="127.0.0.1:$port" QUIRE_PUBLIC_URL="$base" \
  QUIRE_PAGE_CACHE_MB=0 QUIRE_SEARCHES_PER_MINUTE=0 RUST_LOG=warn ./target/release/quire serve >"$log" 2>&1 &
server=$!
jar=$(mktemp)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log" "$jar"' EXIT
for _ in $(seq 1 150); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done

# 100 searches: 40 single words of the seed's vocabulary, 30 pairs, 20 prefixes as typed, and
# 10 words that are in no article.
words=(rust memory safety async runtime thread borrow checker lifetime trait generic macro
  closure iterator vector string slice pointer heap stack compiler linker cargo crate module
  garden kitchen bread coffee travel mountain river forest winter summer music guitar piano
  camera photo)
queries=()
for w in "${words[@]:0:40}"; do queries+=("$w"); done
for i in $(seq 0 29); do queries+=("${words[$i]}%20${words[$(((i * 7 + 3) % 40))]}"); done
for i in $(seq 0 19); do w=${words[$((i * 2))]}; queries+=("${w:0:3}"); done
for i in $(seq 0 9); do queries+=("zzqx$i"); done

# Times every query against one address; prints "median p95 max" in milliseconds.
measure() {
  local path=$1 times=()
  for q in "${queries[@]:0:10}"; do curl -fsS -o /dev/null "$base$path$q"; done # warm-up
  for q in "${queries[@]}"; do
    times+=("$(curl -fsS -o /dev/null -w '%{time_total}' "$base$path$q")")
  done
  printf '%s\n' "${times[@]}" | sort -n |
    awk '{ t[NR] = $1 * 1000 } END { printf "median %.1f ms, p95 %.1f ms, max %.1f ms (%d searches)\n", t[int((NR + 1) / 2)], t[int(NR * 0.95)], t[NR], NR }'
}

# The reading pages, deep ones included: the most used tag, and the median of 5 after a warm-up.
tag=$(curl -fsS "$base/api/tags" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tags"][0])')
echo "pages at $articles articles (median of 5, after one warm-up):"
for path in '/' '/?page=500' "/?page=$((articles / 20 - 1))" "/tag/$tag" "/tag/$tag?page=30" \
  '/api/articles?limit=20' "/api/articles?offset=$((articles - 20))" '/api/tags'; do
  curl -fsS -o /dev/null "$base$path"
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -w '%{time_total}\n' "$base$path"; done |
    sort -n | awk -v p="$path" 'NR == 3 { printf "  %-56s %7.1f ms\n", p, $1 * 1000 }'
done

echo "search latency at $articles articles, one search at a time:"
echo "  /search?q=…      $(measure '/search?q=')"
echo "  /api/search?q=…  $(measure '/api/search?q=')"

curl -fsS -o /dev/null -c "$jar" -H "Origin: $base" -H 'Accept: application/json' \
  --data-urlencode "email=$admin@example.org" --data-urlencode 'password=quire demo password' \
  "$base/rpc/login"
echo "admin table browser (median of 5, after one warm-up):"
for path in '/admin' '/admin/tables/articles' '/admin/tables/articles?page=3000' \
  '/admin/tables/articles?sort=title' '/admin/tables/articles?sort=title&dir=desc&page=3000' \
  '/admin/tables/articles?q=garden' '/admin/tables/comments?sort=body&size=100' \
  '/admin/tables/favorites?page=7000'; do
  curl -fsS -o /dev/null -b "$jar" "$base$path"
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -b "$jar" -w '%{time_total}\n' "$base$path"; done |
    sort -n | awk -v p="$path" 'NR == 3 { printf "  %-56s %7.1f ms\n", p, $1 * 1000 }'
done
