# Two commands matter: `make book` (set up + build the site) and `make test`.
# Everything runs inside .venv, created here from the pinned requirements.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Notebooks are executed by nbval (make test); the book build only renders them.
# MPLBACKEND is set for the unit tests only: kernels must keep their inline backend,
# or figures vanish from the notebooks and the book.
NOTEBOOK_DIRS := derivations book
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test unit notebooks build-strict built execute bench mutate clean

help:
	@echo "make book   set up .venv (first time) and build the HTML into _build/html"
	@echo "make test   unit tests, nbval on every notebook, strict book build, HTML + browser tests"
	@echo "make execute [NB=path]  re-run notebooks in place to refresh outputs"
	@echo "make bench  speed and memory benchmarks (not part of make test)"
	@echo "make mutate [MUTATE_MODULES=... MUTATE_BUDGET=s]  mutation testing (not part of make test)"
	@echo "make clean  remove _build (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

setup: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open _build/html/index.html"

unit: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q --ignore=tests/built

notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval $(NOTEBOOK_DIRS) -q

build-strict: $(STAMP)
	$(BIN)/jupyter-book clean . >/dev/null
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# Tests of the fresh build in _build/html: the HTML itself, then headless Chromium
# offline (skipped, and said so, without Chromium; screenshots in _build/screenshots).
built: $(STAMP)
	NNMATH_REQUIRE_BUILD=1 $(BIN)/python -m pytest tests/built -q -rs

test: unit notebooks build-strict built

# Re-execute notebooks in place so their committed outputs are current
# (NB=derivations/05_matrix_by_matrix.ipynb for one; default: all of them).
execute: $(STAMP)
	$(BIN)/python .ci/execute_notebooks.py $(or $(NB),$(wildcard derivations/*.ipynb book/*.ipynb))

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Mutation testing of the math modules and the proofs with mutmut (requirements-mutate.txt,
# installed here only). Report: _build/mutate/report.txt. The run stops after MUTATE_BUDGET
# seconds; results are cached in _build/mutate/work, so the next run continues.
MUTATE_STAMP  := $(VENV)/.mutate-installed
MUTATE_BUDGET ?= 1200
MUTATE_JOBS   ?= 2
MUTATE_MODULES ?=

$(MUTATE_STAMP): requirements-mutate.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.txt -r requirements-mutate.txt
	@touch $@

mutate: $(MUTATE_STAMP)
	$(BIN)/python .ci/mutate.py --budget $(MUTATE_BUDGET) --jobs $(MUTATE_JOBS) \
		$(if $(strip $(MUTATE_MODULES)),--modules "$(MUTATE_MODULES)")

clean:
	rm -rf _build
