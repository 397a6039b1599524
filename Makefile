# Quire's canonical commands. `make run` and `make test` each set up whatever is missing first
# (scripts/setup.sh), so both work on a fresh machine. CI runs `make test` (.ci/run).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Build caches and tools live outside the checkout, so a fresh clone builds incrementally.
QUIRE_CACHE ?= $(HOME)/.cache/quire
export CARGO_TARGET_DIR ?= $(QUIRE_CACHE)/target
# sass and wasm-opt (npm builds) come before anything else on PATH.
export PATH := $(QUIRE_CACHE)/node-tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LEPTOS_WASM_OPT_VERSION ?= version_132

WASM := --lib --target wasm32-unknown-unknown --no-default-features --features hydrate

.PHONY: help setup run build dev fmt lint wasm-guard layers unit e2e conformance test size bench bench-100k bench-libraries reliability reliability-short

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## Install what is missing (wasm target, cargo-leptos, wasm-bindgen, sass, wasm-opt, chromium, Playwright, hurl); prune stale build output
	@bash scripts/setup.sh
	@bash scripts/prune-cache.sh

build: setup ## Release build: target/release/quire and target/site (fingerprinted, with .br and .gz copies)
	cargo leptos build --release --precompress
	@# cargo-leptos's gzip copies are about 15 % larger than gzip -9's; make them again.
	@for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do gzip -9 -n -k -f "$$f"; done
	@mkdir -p target/release
	@ln -sfn "$(CARGO_TARGET_DIR)/release/quire" target/release/quire

run: build ## Build and run the blog on SQLite at http://127.0.0.1:3000
	./target/release/quire serve

dev: setup ## Rebuild and reload on every change (debug build)
	cargo leptos watch

fmt: ## Format the code
	cargo fmt --all

lint: setup ## rustfmt check, clippy for ssr and for hydrate on wasm32, the wasm dependency guard, the layers
	cargo fmt --all --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy $(WASM) -- -D warnings
	@$(MAKE) --no-print-directory wasm-guard
	@python3 scripts/layers.py > /dev/null || python3 scripts/layers.py

layers: ## Which module imports which; fails on an import circle or an arrow up the layers
	@python3 scripts/layers.py

wasm-guard: ## Fail if a server crate reaches the browser bundle
	@bash scripts/wasm-guard.sh

unit: setup ## Rust tests: unit, service and router tests
	cargo test --features ssr

e2e: build ## Playwright in headless Chromium against the release build
	@bash scripts/e2e.sh

bench: build ## The performance suite: 10k and 1M articles under wrk, the ceiling, writes, wasm size, hydration
	@python3 scripts/bench.py

bench-100k: build ## Search and the admin table browser at 100,000 seeded articles
	@bash scripts/bench-100k.sh

bench-libraries: setup ## The page cache's store and the rate limiter against moka and governor, under Quire's loads
	cd scripts/libbench && cargo run --release --quiet

reliability: build ## The reliability suite: 60 s mixed load at 64 connections, 10 kill -9 rounds, full and read-only disk, 1,000 disconnects, hostile input
	@python3 scripts/reliability.py

reliability-short: build ## Its short tier (about 2 minutes, part of make test): 10 s at 16 connections, 3 kill -9 rounds, the disk, 100 disconnects, hostile input
	@python3 scripts/reliability.py --short

conformance: build ## The official RealWorld API suite (154 Hurl requests) against the release build
	@bash scripts/conformance.sh

size: build ## Size of the release wasm bundle, raw and gzip
	@f=$$(ls target/site/pkg/quire*.wasm | head -1); echo "wasm: $$(stat -c %s $$f) bytes raw, $$(gzip -9 -c $$f | wc -c) bytes gzip"

test: lint unit e2e conformance reliability-short ## Everything CI runs: lint, Rust tests, e2e, API conformance, the reliability suite's short tier
	@echo "make test: all checks passed"
