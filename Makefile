# The two commands of the README: `make dev` and `make test`. Each sets up what is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/scripts/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true

.PHONY: setup test test-native test-browser test-e2e dev dist fuzz bench

## setup: install the pinned tools (idempotent)
setup:
	scripts/setup

## test: set up, then run every test
test: setup test-native test-browser test-e2e

## test-native: the engine's unit and property tests, and the native tests against real brokers
test-native:
	cargo test --workspace --all-targets

## test-browser: wasm-bindgen-test in headless Chrome against a local Mosquitto
test-browser:
	scripts/browser-test

## test-e2e: the release build in headless Chromium with the tutorial's own pub.py and sub.py
test-e2e:
	. scripts/release-env && trunk build --release --dist target/e2e-dist
	node tests/e2e/tutorial.mjs target/e2e-dist

## dev: set up, start a local Mosquitto, serve the app pointed at it
dev: setup
	scripts/dev

## dist: the release build in dist/, for any static host (PUBLIC_URL=/sub/path/ for a sub-path);
## scripts/release-env says how it is built
dist: setup
	. scripts/release-env && trunk build --release --public-url "$${PUBLIC_URL:-/}"

## bench: our client against MQTT.js and a raw WebSocket pump in headless Chromium (writes
## docs/bench.md), the release sizes, and the codec microbench; not part of `make test`
bench: setup
	scripts/bench

## fuzz: the cargo-fuzz targets, FUZZ_RUNS executions each (default 5,000,000; about 20 min here)
fuzz:
	scripts/fuzz
