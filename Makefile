# Two commands matter: `make book` (set up + build the site) and `make test`.
# Everything runs inside .venv, created here from the pinned requirements.txt
# (and requirements-lab.txt: JupyterLab, its MyST renderer, Playwright).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
# Notebooks are executed by nbval (make test); the book build only renders them.
# MPLBACKEND is set for the unit tests only: kernels must keep their inline backend,
# or figures vanish from the notebooks and the book.
NOTEBOOK_DIRS := derivations book
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test unit notebooks notebooks-other-blas build-strict built lab lab-test macros pdf pdf-deps pdf-test execute bench mutate clean

help:
	@echo "make book   set up .venv (first time) and build the HTML into _build/html"
	@echo "make test   unit tests, nbval on every notebook, strict book build, HTML + browser tests"
	@echo "make notebooks-other-blas  nbval again under a second OpenBLAS kernel (CI runs it)"
	@echo "make lab [NB=path]  JupyterLab with the MyST renderer, on the notebooks"
	@echo "make pdf    the whole book as a PDF in _build/pdf (TeX from Debian; make pdf-test checks it)"
	@echo "make execute [NB=path]  re-run notebooks in place to refresh outputs"
	@echo "make macros  copy the LaTeX macros of _config.yml into every notebook"
	@echo "make bench  speed and memory benchmarks (not part of make test)"
	@echo "make mutate [MUTATE_MODULES=... MUTATE_BUDGET=s]  mutation testing of the math modules (not part of make test; each run resumes the last)"
	@echo "make clean  remove _build (keeps .venv)"

# The pins are for Python 3.11: check that first, so that another version stops here
# with a message, not later on a wheel, and a failed set-up leaves no half .venv behind.
$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" && $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	  || { echo "error: Python 3.11 needed, but $(or $(PYTHON),python3) is" \
	       "$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'not runnable')." \
	       "Install Python 3.11, or point PYTHON=/path/to/python3.11 at one."; exit 1; } >&2
	@{ $(PYTHON) -m venv $(VENV) \
	   && $(BIN)/python -m pip install --quiet --upgrade pip==26.3 \
	   && $(BIN)/python -m pip install --quiet -r requirements.txt \
	   && $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . ; } \
	  || { rm -rf $(VENV); echo "error: set-up failed; .venv removed"; exit 1; }
	@touch $@

# JupyterLab, jupyterlab-myst and Playwright (make lab, and the browser test of make test).
$(LAB_STAMP): requirements-lab.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-lab.txt -c requirements.txt
	@touch $@

setup: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open _build/html/index.html"

# Unit tests and notebooks on both cores (pytest-xdist); a notebook's cells stay together.
unit: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q -n 2 --ignore=tests/site/built --ignore=tests/site/lab --ignore=tests/site/pdf

# One BLAS thread for notebooks: the same summation order (so the same digits) on any
# machine, and no thread contention slowing a small product on a busy 2-core machine.
notebooks: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest --nbval $(NOTEBOOK_DIRS) -q -n 2 --dist loadfile

# The notebooks once more under another OpenBLAS kernel (.ci/blas_kernel.py picks one that
# differs from this CPU's own): a printed or glued digit that depends on the machine fails
# here, not on a reader's machine. Skipped, with the reason, where there is no other kernel.
# CI runs it after make test (.ci/run); it doubles the notebooks' time, so make test does not.
notebooks-other-blas: $(STAMP)
	@kernel=$$($(BIN)/python .ci/blas_kernel.py) \
	  || { echo "notebooks-other-blas: skipped (no second OpenBLAS kernel to run here)"; exit 0; }; \
	echo "nbval again, with OPENBLAS_CORETYPE=$$kernel"; \
	OPENBLAS_CORETYPE=$$kernel OPENBLAS_NUM_THREADS=1 \
	  $(BIN)/python -m pytest --nbval $(NOTEBOOK_DIRS) -q -n 2 --dist loadfile

# The build re-checks every identity; its SymPy checks are skipped here, as the unit tests
# (tests/book/test_identities.py, run first by make test) have just run them (make book keeps them).
build-strict: $(STAMP)
	$(BIN)/jupyter-book clean . >/dev/null
	NNMATH_PROVE_AT_BUILD=0 $(BIN)/jupyter-book build . --warningiserror --keep-going

# Tests of the fresh build in _build/html: the HTML itself, then headless Chromium
# offline (skipped, and said so, without Chromium; screenshots in _build/screenshots).
built: $(STAMP)
	NNMATH_REQUIRE_BUILD=1 $(BIN)/python -m pytest tests/site/built -q -rs

# Every notebook opened in JupyterLab (jupyterlab-myst) in headless Chromium driven by
# Playwright: maths, labels, references, theorems, exercises render; no raw MyST markup.
# Skipped, and said so, without Chromium; a screenshot in _build/screenshots.
lab-test: $(LAB_STAMP)
	$(BIN)/python -m pytest tests/site/lab -q -rs

# The strict build (Sphinx: mostly one core) runs beside the unit tests (two workers): the
# same work in less wall time on two cores; -O prints each one's output whole when it ends.
test: $(STAMP)
	$(MAKE) --no-print-directory -j2 -O unit build-strict
	$(MAKE) --no-print-directory notebooks built lab-test

# JupyterLab on the notebooks (NB=path opens one), with the book's macros and MyST.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(or $(NB),derivations) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

# The one source of the LaTeX macros is _config.yml; this copies them into the
# notebooks' first cell, which JupyterLab reads (tests/book/test_macros.py checks it).
macros: $(STAMP)
	$(BIN)/python .ci/sync_macros.py

# Re-execute notebooks in place so their committed outputs are current
# (NB=derivations/05_matrix_by_matrix.ipynb for one; default: all of them).
execute: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python .ci/execute_notebooks.py $(or $(NB),$(wildcard derivations/*.ipynb book/*.ipynb))

# The PDF: Jupyter Book's LaTeX builder (xelatex) with these Debian packages, the
# smallest set found to build it (installed here when missing and run as root, as in CI).
TEX_DEBS := texlive-xetex texlive-latex-recommended texlive-latex-extra \
            texlive-fonts-recommended latexmk xindy fonts-freefont-otf fonts-dejavu-core poppler-utils
TEX_STYS := changepage.sty pgfplots.sty ucharclasses.sty unicode-math.sty mathrsfs.sty fncychap.sty

# True when every tool, style file and font the PDF needs is here. A subshell, so that
# its `exit 1` ends the check alone, not the recipe (inside `{ ...; }` it left the whole
# shell before the install branch could run; tests/site/test_pdf_deps.py runs that branch).
PDF_DEPS_OK = ( for c in xelatex latexmk xindy kpsewhich pdftotext pdfimages; do \
                  command -v $$c >/dev/null || exit 1; done; \
                kpsewhich $(TEX_STYS) | test $$(wc -l) -eq $(words $(TEX_STYS)) \
                && fc-list | grep -q FreeSerif && fc-list | grep -q "DejaVu Sans Mono" )

pdf-deps:
	@if ! $(PDF_DEPS_OK); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make pdf: installing TeX from Debian: $(TEX_DEBS)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $(TEX_DEBS) >/dev/null && $(PDF_DEPS_OK); } \
	      || { echo "error: TeX is still incomplete after apt-get install $(TEX_DEBS)" >&2; exit 1; }; \
	  else \
	    echo "error: make pdf needs TeX: apt-get install --no-install-recommends $(TEX_DEBS)" >&2; exit 1; \
	  fi; \
	fi

pdf: $(STAMP) pdf-deps
	rm -rf _build/latex _build/pdf
	$(BIN)/jupyter-book build . --builder pdflatex --warningiserror --keep-going
	mkdir -p _build/pdf && cp _build/latex/nnmath.pdf _build/pdf/nnmath.pdf
	@echo "Open _build/pdf/nnmath.pdf"

# Reads the PDF back (poppler): titles, theorems, exercises, equations, figures, bibliography.
pdf-test: pdf
	NNMATH_REQUIRE_PDF=1 $(BIN)/python -m pytest tests/site/pdf -q

bench: $(STAMP)
	@for f in benchmarks/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Mutation testing of the math modules and the proofs with mutmut (requirements-mutate.txt,
# installed here only). Report: _build/mutate/report.txt. The run stops after MUTATE_BUDGET
# seconds; results are cached in _build/mutate/work, so the next run continues (make clean and
# jupyter-book clean remove that cache).
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
