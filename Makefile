# posthog-core: `make run` serves the API, `make test` runs the suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# The suite on both cores (pytest-xdist), a test file per worker so module fixtures stay together;
# `make test PYTEST_XDIST=` runs it in one process.
PYTEST_XDIST ?= -n 2 --dist loadfile
export PORT

.PHONY: install run test bench fuzz lint schema clean cluster test-cluster haproxy wrk

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo
	$(BIN)/gunicorn -c python:posthog_core.gunicorn_conf posthog_core.wsgi

test: install
	bash schemas/toolchain/ensure.sh
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# The scale-out deployment on this machine (README "Scaling out"): primary + streaming replica,
# S3 (moto), web nodes, HAProxy on 127.0.0.1:$(CLUSTER_PORT) (default 8080). Foreground; Ctrl-C stops all.
haproxy:
	@command -v haproxy >/dev/null || (apt-get update && apt-get install -y haproxy)

wrk:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

cluster: install haproxy
	$(BIN)/python -m posthog_core.cluster

test-cluster: install haproxy
	$(BIN)/python -m pytest -c tests_cluster/pytest.ini tests_cluster $(PYTEST_ARGS)

bench: install haproxy wrk  # bench_cluster runs a cluster and drives it with wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# schemathesis against a fresh `make run`-style server; FUZZ_SECONDS (default 120) and FUZZ_SEED.
fuzz: install
	$(BIN)/python -m tests.fuzz.run

lint: install
	$(BIN)/ruff check .

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file schema.yaml

clean:
	rm -rf $(VENV) .data
