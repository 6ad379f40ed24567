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
		apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null; \
	else echo "chromium not installed: the browser test will be skipped"; fi

test: setup browser
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check coldstart tests benchmarks

demo: setup
	mkdir -p out
	$(BIN)/coldstart profile fixtures/boto3_clients/app.py --runs 10 --force \
		--json out/demo.json --html out/demo.html --speedscope out/demo.speedscope.json

# Two A/B tables on the fixtures written for compare; see docs/compare.md.
compare-demo: setup
	mkdir -p out
	$(BIN)/coldstart compare fixtures/value_vs_reference/app.py:by_reference \
		fixtures/value_vs_reference/app.py:by_value --label by-reference --label by-value \
		--runs 10 --markdown out/value_vs_reference.md --html out/value_vs_reference.html \
		--json out/value_vs_reference.json
	$(BIN)/coldstart compare fixtures/lazy_vs_eager/lazy.py fixtures/lazy_vs_eager/eager.py \
		--label lazy --label eager --runs 10 --markdown out/lazy_vs_eager.md \
		--html out/lazy_vs_eager.html --json out/lazy_vs_eager.json

bench: setup
	$(BIN)/python benchmarks/run.py --output docs/benchmarks.md

clean:
	rm -rf $(VENV) out .pytest_cache
