# Quickstart: `make demo` runs the self-check, `make test` the whole suite.
# Both create .venv on first use; the tests build the wheel and the venvs
# they run it in (build/test-venvs, reused while the wheel is the same).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STACK := requirements/test.txt requirements/runtime.txt
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Every venv uv builds here gets its bytecode compiled at install, as pip
# does: each later `import tensorflow` in it is seconds faster.
export UV_COMPILE_BYTECODE := 1

.PHONY: demo check test test-engines test-verdicts test-portability knowledge-check lint typecheck unit unit-without-shim dist dist-check bench clean \
	matrix matrix-update matrix-run matrix-cells-tf-torch matrix-cells-jax-numpy

demo: $(VENV)/.installed
	$(BIN)/keras-rescaling-patch status
	$(BIN)/keras-rescaling-patch check

test: lint typecheck unit unit-without-shim dist-check

# The inner loop: lint, types and the in-process tests, without the tiers
# marked slow (fresh interpreters, throwaway venvs), network (release
# downloads) or engines. No venv but .venv; under half a minute.
check: lint typecheck
	$(BIN)/pytest -q -m "not slow and not network and not engines"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/deptry .
	$(BIN)/lint-imports
	$(BIN)/vermin --no-tips --violations --target=3.10- keras_rescaling_patch tests support
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/python scripts/matrix_report.py --check-docs
	$(BIN)/python scripts/restoration_report.py --check
	$(BIN)/python scripts/portability_report.py --check

# What every Keras 3 release accepts, as shipped, against what their wheels
# on PyPI give today (scripts/keras_knowledge.py; cached wheels, a minute or
# two); .ci/run runs it. A new release on PyPI makes it fail: run
# `scripts/keras_knowledge.py --update`.
knowledge-check: $(VENV)/.installed
	$(BIN)/python scripts/keras_knowledge.py --check

typecheck: $(VENV)/.installed
	$(BIN)/mypy keras_rescaling_patch

unit: $(VENV)/.installed
	$(BIN)/pytest -m "not engines"

# Every test marked `fix` must fail on stock Keras 3.4.1: run them with the
# shim removed; the conftest turns each expected failure into a pass.
unit-without-shim: $(VENV)/.installed
	$(BIN)/pytest --without-shim -q -m "not engines"

# Dask and Ray workers under the start-up hook (slow: real engines start
# their own worker processes); .ci/run runs it after `make test`.
test-engines: $(VENV)/.installed
	$(BIN)/pytest -m engines -q
	$(BIN)/pytest -m engines -q --without-shim

# scan's verdicts and repair against stock Keras releases around each boundary
# of the table (tests/test_differential_verdicts.py); part of `make test`.
test-verdicts: $(VENV)/.installed
	$(BIN)/pytest -m verdicts -q

# scan --target-keras and repair --target-keras against stock releases: files
# of five newer releases judged and ported for five older ones
# (tests/test_differential_portability.py); part of `make test`.
test-portability: $(VENV)/.installed
	$(BIN)/pytest -m portability -q

# A release is one command: the sdist and the wheel in dist/, checked.
dist: $(VENV)/.installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist . >$(VENV)/build.log 2>&1 || \
		{ cat $(VENV)/build.log; exit 1; }
	$(BIN)/twine check --strict dist/*

# Install each distribution (not editable) into a fresh venv and use it.
dist-check: dist
	PYTHON=$(abspath $(BIN))/python UV=$(abspath $(UV)) sh scripts/check-dist.sh dist

# The compatibility matrix (noxfile.py): every cell, then the cross-version
# files; fails if any cell fails or any status differs from matrix/results.json.
# The matrix's 72 cell venvs keep uv's default (no bytecode compiled): each
# runs only a few processes, and the matrix's timings were measured so.
NOX := UV_COMPILE_BYTECODE=0 $(BIN)/nox --envdir .matrix/nox
TORCH := .matrix/torch

matrix: matrix-run
	$(BIN)/python scripts/matrix_report.py --check-fresh

matrix-update: matrix-run
	$(BIN)/python scripts/matrix_report.py --update

matrix-run: $(VENV)/.installed $(TORCH)/.installed
	rm -rf .matrix/results .matrix/files
	$(MAKE) -j2 matrix-cells-tf-torch matrix-cells-jax-numpy
	$(NOX) -s save_files load_files

matrix-cells-tf-torch:
	$(NOX) -s cell -k "tensorflow or torch"

matrix-cells-jax-numpy:
	$(NOX) -s cell -k "jax or numpy"

# PyTorch through pip: it takes the CPU build on this disk, where uv would
# download a CUDA build of several GB. Shared into the torch cells by a .pth.
$(TORCH)/.installed:
	$(PYTHON) -m venv $(TORCH)
	$(TORCH)/bin/pip install --quiet torch==2.13.0
	touch $@

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_shim.py
	$(BIN)/python benchmarks/bench_startup_hook.py
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_repair.py
	$(BIN)/python benchmarks/bench_repair_many.py
	$(BIN)/python benchmarks/bench_limits.py
	$(BIN)/python benchmarks/bench_fleet.py

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv

$(VENV)/.installed: $(UV) $(STACK) pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/test.txt -e .
	touch $@

clean:
	rm -rf $(VENV) .matrix build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
