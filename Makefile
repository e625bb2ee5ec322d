# Two commands: `make run` (the local demo) and `make test` (the whole suite).
# Both set up what they need first: a virtualenv from requirements.txt and
# node_modules from package-lock.json (npm ci); `make test` also makes sure a
# Chromium, redis-server and nginx exist for the browser and production tests.
# `make setup` also bundles the guide's SPA calls (tests/e2e/amplify_client/,
# with aws-amplify and the Web SDK from node_modules) into build/ with esbuild,
# for the test that runs them in a browser, and minifies the app's own scripts
# into build/static/ (what the app serves); build/ is never committed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup run emulators test clean bench bench-smoke bench-setup bench-profile

AMPLIFY_CLIENT := build/amplify-client.js
# The app's own scripts, minified (served instead of static/*.js when newer).
APP_SCRIPTS := build/static/sign-in.js build/static/sign-in-modes.js build/static/passkeys.js

setup: $(VENV)/.installed node_modules/.installed $(AMPLIFY_CLIENT) $(APP_SCRIPTS)

build/static/%.js: static/%.js node_modules/.installed
	mkdir -p $(@D)
	node_modules/.bin/esbuild $< --minify --target=es2020 --log-level=warning --outfile=$@

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(AMPLIFY_CLIENT): $(wildcard tests/e2e/amplify_client/*.js) node_modules/.installed
	mkdir -p $(@D)
	node_modules/.bin/esbuild tests/e2e/amplify_client/main.js --bundle --format=iife \
		--platform=browser --target=es2020 --log-level=warning --outfile=$@

run: setup
	$(BIN)/flask run

# The emulators in their own processes (for gunicorn, several workers, load):
# writes the app's settings for them to instance/local/emulators.env.
emulators: setup
	$(BIN)/python -m emulators

test: setup
	scripts/ensure-chromium
	scripts/ensure-servers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache build bench/node_modules bench/build

# The benchmark (bench/, not part of `make test`): the guide's Amplify SPA and
# this app side by side in Chromium, then under load, against the same
# emulators; results in bench/results/. BENCH_RUNS, BENCH_CONCURRENCY,
# BENCH_DURATION and BENCH_QUIET_WAIT tune it (see bench/__main__.py).
# `make bench-smoke` is a short run for CI (under a minute once set up),
# writing to a temporary folder and failing on any error.
SPA_BUNDLE := bench/build/spa.js

bench-setup: setup $(VENV)/.bench-installed bench/node_modules/.installed $(SPA_BUNDLE)
	scripts/ensure-chromium
	scripts/ensure-servers

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(BIN)/python -m pip install --disable-pip-version-check -q -r bench/requirements.txt
	touch $@

bench/node_modules/.installed: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund
	touch $@

$(SPA_BUNDLE): bench/spa/main.js bench/node_modules/.installed
	mkdir -p $(@D)
	bench/node_modules/.bin/esbuild bench/spa/main.js --bundle --minify --format=iife \
		--platform=browser --target=es2020 --log-level=warning --outfile=$@

bench: bench-setup
	$(BIN)/python -m bench

# Where the app's CPU per sign-in goes, by package: bench/results/profile.md.
bench-profile: setup
	$(BIN)/python -m bench.profile_app

bench-smoke: bench-setup
	out=$$(mktemp -d) && BENCH_RUNS=1 BENCH_LATENCY_MS=0 BENCH_CONCURRENCY=2 BENCH_DURATION=3 BENCH_QUIET_WAIT=0 BENCH_OUT=$$out \
		$(BIN)/python -m bench --strict
