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

.PHONY: setup run emulators test clean

AMPLIFY_CLIENT := build/amplify-client.js
# The app's own scripts, minified (served instead of static/*.js when newer).
APP_SCRIPTS := build/static/sign-in.js build/static/passkeys.js

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
	rm -rf $(VENV) node_modules .pytest_cache build
