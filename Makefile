# The two commands: `make run` and `make test`. Everything else is what they stand on.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
DEMO_EMAIL ?= demo@wijkteam.example

.PHONY: run test typecheck suite screenshots lint format messages docs clean

# uv (pinned in constraints.txt) installs the pinned packages: 17 s on a clean clone where pip took
# 45 s (side by side, load 2-3). It compiles every module as pip does (--compile-bytecode): where
# PYTHONDONTWRITEBYTECODE is set, nothing else would, and every process of the tests would compile
# what it imports again (2.6 s for the app and WeasyPrint, against 0.3 s compiled).
# The checkout goes on the path as a plain .pth line (editable_mode=compat), as an installed
# package is found, not through setuptools' import hook: the hook loads pathlib, importlib.util
# and contextlib in every process before it starts (python -c pass: 22.6 -> 11 ms).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt \
		-C editable_mode=compat -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## make run: migrate, load the Korrewegwijk demo, create the demo wijkteam account once, serve.
run: $(STAMP)
	$(BIN)/waardenzeef migrate
	$(BIN)/waardenzeef purge-offers --check
	$(BIN)/waardenzeef seed korrewegwijk
	$(BIN)/waardenzeef create-user $(DEMO_EMAIL) --role wijkteam --name "Demo wijkteam" --if-none
	$(BIN)/waardenzeef serve $(if $(PORT),--port $(PORT))

## make test: lint, type-check and the whole test suite.
# mypy runs beside the tests: on a clean clone it has no cache and takes half a minute of one core
# (28.8 s CPU, 0.8 s with its cache), which the tests, waiting on Chromium and PostgreSQL part of
# the time, leave free. Either failing fails `make test`.
test: $(STAMP) node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(MAKE) --no-print-directory -j2 typecheck suite

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests run with Python writing bytecode even where the shell sets PYTHONDONTWRITEBYTECODE (this
# machine's does): without it every process (pytest, each worker, the PDF renderer, the commands
# the tests start) compiled the app and the tests from source and pytest rewrote the asserts of
# hypothesis, schemathesis, anyio and xdist (273 modules) again. On a clean clone the start of
# `pytest -n 2` up to its first test: 30.4 -> 25.0 s CPU (mean of three pairs, side by side).
suite: $(STAMP) node_modules/.package-lock.json
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n auto

## make screenshots: the browser tests, keeping a screenshot of every step in test-artifacts/.
screenshots: $(STAMP) node_modules/.package-lock.json
	SCREENSHOTS=1 $(BIN)/pytest -n auto tests/browser

# axe-core for the browser tests' accessibility checks; without npm those tests skip (fail in CI).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund; \
	else echo "npm not found: the accessibility checks will skip"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make messages: extract the strings and update the Dutch catalogue (then translate the new ones).
messages: $(STAMP)
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k N_ --no-location \
		--omit-header --sort-output -o var/messages.pot app
	$(BIN)/pybabel update -i var/messages.pot -d app/locales -l nl --omit-header \
		--ignore-obsolete --width 100
	@# The app reads the compiled messages.mo (app/i18n.py). --use-fuzzy: without a header babel
	@# takes the whole catalogue for fuzzy; no message in it is (tests/test_i18n.py).
	$(BIN)/pybabel compile --use-fuzzy -d app/locales -D messages -l nl

## make docs: write the README's settings table from the settings' own descriptions.
docs: $(STAMP)
	$(BIN)/python -m app.settings README.md

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
