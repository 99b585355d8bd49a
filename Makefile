# Integration Policy Knowledge Graph: the two commands are `make serve` and `make test`.
# Everything else here is what they are made of; CI (.ci/run) calls `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: help install serve test lint typecheck fmt-check fmt validate pytest lock clean chromium \
        test-virtuoso virtuoso

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the pinned package with dev tools

serve: $(STAMP)  ## Validate the data, load it and serve the graph on http://$(HOST):$(PORT)
	$(BIN)/kg serve --host $(HOST) --port $(PORT)

test: $(STAMP) lint typecheck fmt-check validate pytest  ## Everything CI runs

lint: $(STAMP)  ## ruff lint and format check of the Python code
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy --strict on src/kg
	$(BIN)/mypy

fmt-check: $(STAMP)  ## Check that ontology, shapes and data are in the canonical serialisation
	$(BIN)/kg fmt --check

fmt: $(STAMP)  ## Rewrite ontology, shapes and data into the canonical serialisation
	$(BIN)/kg fmt

validate: $(STAMP)  ## SHACL-validate ontology and data (exit 0 ok, 1 violations, 2 broken input)
	$(BIN)/kg validate

pytest: $(STAMP) chromium  ## The test suite (the browser tests need Debian's Chromium)
	$(BIN)/pytest

chromium:  ## Install Debian's Chromium for the browser tests if /usr/bin/chromium is missing
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

test-virtuoso: $(STAMP) virtuoso  ## kg serve --store and kg publish against a Virtuoso of their own
	$(BIN)/pytest -m virtuoso tests/test_remote_virtuoso.py tests/test_remote_many_graphs.py

virtuoso:  ## Install Debian's Virtuoso (virtuoso-opensource) if virtuoso-t is missing
	@sh benchmarks/install-virtuoso.sh

lock: $(STAMP)  ## Re-pin the full dependency set into constraints.txt
	{ echo "# Full transitive pin set (pip constraints). Regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable; echo "setuptools==80.9.0"; } > constraints.txt

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Benchmark of the SPARQL endpoints (benchmarks/README.md); not part of `make test`.
BENCH_SIZES ?= 10000,100000

.PHONY: bench bench-deps

bench-deps: $(STAMP)  ## Install the benchmark's engines and load driver (pip extra, Debian's Virtuoso)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	sh benchmarks/install-virtuoso.sh

bench: bench-deps  ## Run the benchmark (BENCH_SIZES=10000,100000[,1000000]), print the README tables
	$(BIN)/python -m benchmarks.run --sizes $(BENCH_SIZES)
	$(BIN)/python -m benchmarks.report

# The benchmark at scale (benchmarks/README.md, "At scale"): every store at SIZE triples, one at a
# time, niced; STORES=kg,oxigraph,... for some of them (merged into the day's result file).
SIZE ?= 1000000
STORES ?=

.PHONY: bench-scale

bench-scale: bench-deps  ## Query mix at SIZE triples (default 1000000) for each store; load, memory, q/s
	nice -n 10 $(BIN)/python -m benchmarks.scale --size $(SIZE) $(if $(STORES),--merge --engines $(STORES),)
	$(BIN)/python -m benchmarks.scale --report
