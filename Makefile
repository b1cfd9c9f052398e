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

# The llama.cpp runtime's CPU target, pinned here and nowhere else (issue #12). llama-cpp-python's own default,
# GGML_NATIVE=ON, compiles with -march=native: every instruction set the build CPU *reports*. A VM that reports
# AMX but does not grant the tile state then dies with SIGILL on the first multi-token decode, and a venv or
# image built on one host breaks on the next. So the default is a portable baseline: x86-64 with AVX2, FMA and
# F16C (every x86 CPU since 2013/2015; AVX-512, AVX-VNNI and AMX off), plain armv8-a on aarch64.
#   LLAMA_BUILD=portable  the default
#   LLAMA_BUILD=native    opt-in (`make native`): -march=native, only for a machine that runs what it built
#   LLAMA_BUILD=generic   no SIMD beyond the architecture's baseline, for CPUs without AVX2 (slow)
# The flags a venv was built with are recorded in $(LLAMA_STAMP); `make setup` rebuilds when they differ.
LLAMA_BUILD ?= portable
LLAMA_VERSION := 0.3.36
ARCH := $(shell uname -m)
ifeq ($(LLAMA_BUILD),native)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=ON
else ifeq ($(LLAMA_BUILD),generic)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF
else ifeq ($(LLAMA_BUILD),portable)
ifeq ($(ARCH),x86_64)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
else ifeq ($(ARCH),aarch64)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ARM_ARCH=armv8-a
else
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF
endif
else
$(error LLAMA_BUILD must be portable, native or generic, not '$(LLAMA_BUILD)')
endif
LLAMA_STAMP := $(VENV)/.llama-build

.PHONY: setup llama-runtime native run demo test unit lint lock eval eval-ci eval-drafts-ci bench bench-runtime \
	bench-scale bench-batch bench-draft clean

setup: $(STAMP) llama-runtime
	@$(BIN)/factcheck prepare

# Every dependency is installed at the version (and with the hashes) of requirements/lock.txt, the versions CI
# tested; pyproject.toml keeps the ranges the lock is resolved from. `make lock` moves the lock on deliberately.
LOCK := requirements/lock.txt
LOCK_CONSTRAINTS := requirements/constraints.txt
PIP_VERSION := 26.3

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip==$(PIP_VERSION)"
	@# The CPU build of torch lies on local disk; installing it first keeps pip from pulling a CUDA build.
	$(BIN)/python -m pip install -q "$$(grep -m1 '^torch==' $(LOCK) | cut -d' ' -f1)"
	@# The runtime first, with the pinned flags; the lock's llama-cpp-python pin then finds it satisfied.
	@$(MAKE) --no-print-directory llama-runtime
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

# Re-resolve every dependency to the newest version pyproject.toml allows, reinstall from the new lock and run
# the whole test suite: an upgrade is a commit of requirements/lock.txt whose CI shows what it changed.
# `make lock UPGRADE=` keeps the locked versions and only adds what pyproject.toml gained.
UPGRADE ?= --upgrade
lock:
	@test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install -q "$$(grep -m1 '^uv==' $(LOCK) | cut -d' ' -f1)"; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes $(UPGRADE) \
		$(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS)) -c $(LOCK_CONSTRAINTS) \
		--custom-compile-command "make lock" -o $(LOCK)
	@git diff --stat -- $(LOCK) 2>/dev/null || true
	@$(MAKE) --no-print-directory test

# (Re)build llama-cpp-python when the venv's recorded flags differ from LLAMA_CMAKE_ARGS: a venv built natively
# (before #12, or by `make native`) is rebuilt portable by `make setup`. --no-cache-dir: pip's wheel cache is keyed
# on the source, not on CMAKE_ARGS, and would hand back a wheel built with other flags.
llama-runtime:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$$(cat $(LLAMA_STAMP) 2>/dev/null)" != "$(LLAMA_CMAKE_ARGS)" ]; then \
		echo "building llama-cpp-python $(LLAMA_VERSION) ($(LLAMA_BUILD): $(LLAMA_CMAKE_ARGS)); 5-10 minutes on 2 cores"; \
		rm -f $(LLAMA_STAMP); \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -q --no-cache-dir --force-reinstall \
			--no-deps "llama-cpp-python==$(LLAMA_VERSION)" && \
		echo "$(LLAMA_CMAKE_ARGS)" > $(LLAMA_STAMP); \
	fi

# Opt-in native build (never the default): faster only where the build CPU grants all it reports.
native:
	@$(MAKE) --no-print-directory llama-runtime LLAMA_BUILD=native

run: setup
	$(BIN)/factcheck ingest seeds/
	$(BIN)/factcheck chat

demo: setup
	$(BIN)/factcheck ingest seeds/
	$(BIN)/factcheck check "In 2023 Congress passed a law that stops a president from leaving NATO on his own."

test: setup
	$(BIN)/ruff check assistant tests evals research
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration"

lint: $(STAMP)
	$(BIN)/ruff check assistant tests evals research
	$(BIN)/mypy

eval: setup
	$(BIN)/factcheck eval evals/seed_claims.jsonl --corpus seeds/ \
		--report-json evals/reports/seed.json --report-md evals/reports/seed.md

# The CI quality gate: the held-out half of the seed gold set on the embedded models, against the checked-in
# thresholds. Reports go to index/reports/ (not tracked).
eval-ci: setup
	$(BIN)/factcheck eval evals/seed_claims.jsonl --corpus seeds/ --split test --thresholds evals/thresholds.toml \
		--injection-suite --report-json index/reports/seed-test.json --report-md index/reports/seed-test.md

# Whole-draft checking (issue 32): the held-out (test) half of the gold drafts on the embedded models, against
# evals/drafts-thresholds.toml (evals/results/drafts.md says how the bounds were set).
eval-drafts-ci: setup
	$(BIN)/factcheck eval evals/drafts.jsonl --format drafts --corpus seeds/ --split test \
		--thresholds evals/drafts-thresholds.toml --report-json index/reports/drafts-test.json \
		--report-md index/reports/drafts-test.md

# A 15-sentence draft against its claims checked one by one, same run (evals/results/drafts.md).
bench-draft: setup
	$(BIN)/factcheck ingest seeds/
	$(BIN)/python evals/draft_benchmark.py --home index

bench: setup
	$(BIN)/python evals/benchmark.py

# Prompt and generation speed of the installed runtime (compare builds: evals/RESULTS.md).
bench-runtime: setup
	$(BIN)/python evals/runtime_benchmark.py

bench-scale: setup
	$(BIN)/python evals/scale_benchmark.py --sizes 10000,100000 --queries 200 --server --million \
		--json evals/reports/scale-benchmark.json

bench-batch: setup
	$(BIN)/python evals/batch_benchmark.py --claims 8 --concurrency 1,2,4 --json evals/reports/batch-benchmark.json

clean:
	rm -rf $(VENV) index/chroma index/cache
