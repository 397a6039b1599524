#!/usr/bin/env bash
# Installs everything Quire needs to build, run and test, skipping what is already there.
# Safe to run again and again: CI and every new machine run it. Sources are only crates.io,
# npm and Debian apt (no GitHub downloads). See ../shared/docs/toolchain.md for why each
# step looks the way it does.
#
#   scripts/setup.sh            everything
#   scripts/setup.sh rust node  only those parts (rust, leptos, bindgen, node, chromium, e2e, hurl)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${QUIRE_CACHE:-$HOME/.cache/quire}"
NODE_TOOLS="$CACHE/node-tools"
BUILD_TMP="$CACHE/tool-builds"
CARGO_LEPTOS_VERSION=0.3.11
SASS_VERSION=1.93.2
BINARYEN_VERSION=132.0.0
HURL_VERSION=8.0.1

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# Copies the published source of a crate out of cargo's registry. `cargo install` extracts it
# before it fails on a dependency that needs a newer rustc, which is why that failure is expected.
crate_source() {
  local name=$1 version=$2 src
  src=$(ls -d "$HOME"/.cargo/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    cargo install "$name@$version" --locked --root "$BUILD_TMP/probe" >/dev/null 2>&1 || true
    src=$(ls -d "$HOME"/.cargo/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
  fi
  [ -n "$src" ] || { echo "setup: could not fetch the source of $name $version" >&2; exit 1; }
  rm -rf "$BUILD_TMP/$name-$version"
  mkdir -p "$BUILD_TMP"
  cp -r "$src" "$BUILD_TMP/$name-$version"
  echo "$BUILD_TMP/$name-$version"
}

setup_rust() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
}

setup_leptos() {
  if have cargo-leptos && cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    return
  fi
  say "building cargo-leptos $CARGO_LEPTOS_VERSION from crates.io (no_downloads; about 15 minutes)"
  local dir
  dir=$(crate_source cargo-leptos "$CARGO_LEPTOS_VERSION")
  # Its lock pins cargo-util-schemas 0.14.2, which needs a newer rustc than this machine's.
  (cd "$dir" && cargo update -p cargo-util-schemas --precise 0.14.1)
  cargo install --path "$dir" --locked --features no_downloads --target-dir "$BUILD_TMP/target"
}

# wasm-bindgen-cli must be the exact version of the wasm-bindgen crate in Cargo.lock.
setup_bindgen() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")
  [ -n "$want" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
  if have wasm-bindgen && wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    return
  fi
  say "building wasm-bindgen-cli $want (about 5 minutes)"
  local dir
  dir=$(crate_source wasm-bindgen-cli "$want")
  # Some releases pin a webpki-roots the registry here does not serve.
  if grep -q 'name = "webpki-roots"' "$dir/Cargo.lock" && grep -A1 'name = "webpki-roots"' "$dir/Cargo.lock" | grep -q '"1.0.11"'; then
    (cd "$dir" && cargo update -p webpki-roots@1.0.11 --precise 1.0.10)
  fi
  cargo install --path "$dir" --locked --target-dir "$BUILD_TMP/target"
}

# sass and wasm-opt (binaryen's JS build; Debian's binaryen 108 emits broken wasm).
setup_node() {
  have npm || { apt_install nodejs npm; }
  if [ ! -x "$NODE_TOOLS/node_modules/.bin/sass" ] || [ ! -x "$NODE_TOOLS/node_modules/.bin/wasm-opt" ] \
    || ! grep -q "\"version\": \"$BINARYEN_VERSION\"" "$NODE_TOOLS/node_modules/binaryen/package.json" 2>/dev/null; then
    say "installing sass $SASS_VERSION and binaryen $BINARYEN_VERSION from npm"
    mkdir -p "$NODE_TOOLS"
    npm install --prefix "$NODE_TOOLS" --no-save --no-audit --no-fund --silent "sass@$SASS_VERSION" "binaryen@$BINARYEN_VERSION"
  fi
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

setup_chromium() {
  [ -x /usr/bin/chromium ] || { say "installing Debian chromium"; apt_install chromium; }
}

setup_e2e() {
  have curl || apt_install curl ca-certificates
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] \
    || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing the Playwright test runner (no browser download)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
}

# Hurl runs the RealWorld API conformance suite. crates.io has it as source only (npm's package
# downloads its binary from GitHub); 8.0.1 is the newest that builds with this rustc. Its
# bindings are generated with libclang and it links libxml2 and OpenSSL.
setup_hurl() {
  if have hurl && hurl --version 2>/dev/null | head -n1 | grep -q "^hurl $HURL_VERSION "; then
    return
  fi
  local missing=() pkg
  for pkg in libclang1-14 libxml2-dev libssl-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  say "building hurl $HURL_VERSION from crates.io (about 5 minutes)"
  LIBCLANG_PATH=/usr/lib/llvm-14/lib \
    BINDGEN_EXTRA_CLANG_ARGS=-I/usr/lib/gcc/x86_64-linux-gnu/12/include \
    cargo install "hurl@$HURL_VERSION" --locked --target-dir "$BUILD_TMP/target"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(rust node chromium e2e hurl leptos bindgen)
for part in "${parts[@]}"; do "setup_$part"; done
# The tools are installed; their build folder (2.4 GB) is needed again only for a new version.
rm -rf "$BUILD_TMP/target"
