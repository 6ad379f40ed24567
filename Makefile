# Everything installs into .venv from PyPI; Chromium comes from Debian for the browser test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test lint demo bench compare-demo browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the HTML report test; skipped where apt-get is missing or not root.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium not installed: the browser test will be skipped"; fi

test: setup browser
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check coldstart tests benchmarks

demo: setup
	mkdir -p out
	$(BIN)/coldstart profile fixtures/boto3_clients/app.py --runs 10 --force \
		--json out/demo.json --html out/demo.html --speedscope out/demo.speedscope.json

bench: setup
	$(BIN)/python benchmarks/run.py --output docs/benchmarks.md

clean:
	rm -rf $(VENV) out .pytest_cache
