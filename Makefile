# Two commands from a fresh machine: `make run` (syncd with an embedded fakeforce) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JS := tests/clients/js

.PHONY: setup run fakeforce test test-slow bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(JS)/node_modules/.installed: $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/syncd run --config examples/syncd.toml

fakeforce: setup
	$(BIN)/fakeforce serve --control --control-token-file $(VENV)/fakeforce-control-token --seed examples/demo-seed.yaml

# Two workers (pytest-xdist): each test starts its own servers on free ports, so they run side by side.
test: setup $(JS)/node_modules/.installed
	$(BIN)/pytest -n 2

test-slow: setup $(JS)/node_modules/.installed
	$(BIN)/pytest -m slow

bench: setup
	mkdir -p .bench
	$(BIN)/pytest benchmarks --benchmark-json=.bench/latest.json; status=$$?; \
	$(BIN)/python benchmarks/report.py .bench/latest.json --out docs/img && exit $$status

clean:
	rm -rf $(VENV) $(JS)/node_modules
