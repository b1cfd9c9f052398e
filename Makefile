# One task runner for developers, the README and CI.
# `make run`  : set everything up, index seeds/ and open the chat on the embedded defaults.
# `make test` : set everything up and run the whole test suite (unit + integration with the real models).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
# llama-cpp-python compiles from source; use both cores.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: setup run demo test unit lint eval eval-ci bench bench-scale bench-batch clean

setup: $(STAMP)
	@$(BIN)/factcheck prepare

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# The CPU build of torch lies on local disk; installing it first keeps pip from pulling a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/factcheck ingest seeds/
	$(BIN)/factcheck chat

demo: setup
	$(BIN)/factcheck ingest seeds/
	$(BIN)/factcheck check "In 2023 Congress passed a law that stops a president from leaving NATO on his own."

test: setup
	$(BIN)/ruff check assistant tests evals
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration"

lint: $(STAMP)
	$(BIN)/ruff check assistant tests evals

eval: setup
	$(BIN)/factcheck eval evals/seed_claims.jsonl --corpus seeds/ \
		--report-json evals/reports/seed.json --report-md evals/reports/seed.md

# The CI quality gate: the held-out half of the seed gold set on the embedded models, against the checked-in
# thresholds. Reports go to index/reports/ (not tracked).
eval-ci: setup
	$(BIN)/factcheck eval evals/seed_claims.jsonl --corpus seeds/ --split test --thresholds evals/thresholds.toml \
		--injection-suite --report-json index/reports/seed-test.json --report-md index/reports/seed-test.md

bench: setup
	$(BIN)/python evals/benchmark.py

bench-scale: setup
	$(BIN)/python evals/scale_benchmark.py --sizes 10000,100000 --queries 200 --server --million \
		--json evals/reports/scale-benchmark.json

bench-batch: setup
	$(BIN)/python evals/batch_benchmark.py --claims 8 --concurrency 1,2,4 --json evals/reports/batch-benchmark.json

clean:
	rm -rf $(VENV) index/chroma index/cache
