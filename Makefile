# ebike-voice: `make run` serves the demo, `make test` runs every test (linters included).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-pg lint fmt bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The demo speaks with the embedded offline voice; set EBIKE_VOICE_TTS_ENGINES=edge,espeak where online.
run: export EBIKE_VOICE_TTS_ENGINES ?= espeak
run: $(VENV)/.installed
	$(BIN)/ebike-voice demo --host $(HOST) --port $(PORT)
	$(BIN)/ebike-voice serve --host $(HOST) --port $(PORT)

test: lint browser
	$(BIN)/pytest

# The dashboard and the console are tested in a real headless Chromium, Debian's package (needs root, as on
# CI), with a Chinese font so that the screenshots the tests save show the pages as people see them.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; }

# The whole suite again, on a throw-away PostgreSQL database created (and dropped) by the tests.
test-pg: $(VENV)/.installed browser
	EBIKE_VOICE_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy service

fmt: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
