# The verbs people type. The README's two commands are `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION := 2.13.0

.PHONY: setup assets book book-en book-ko test check lab release grade bench clean

setup: $(VENV)/.installed

# The course's packages (editable), the book, JupyterLab with jupyterlab-myst, the test tools, and
# PyTorch's CPU build: the tests' independent oracle (tests/test_torch_oracle.py) and the benchmarks' peer.
$(VENV)/.installed: pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet "torch==$(TORCH_VERSION)"
	touch $@

# The site's JavaScript (MathJax, require.js, the widgets' html-manager) from npm, served
# by the site itself so that it works offline; fast when already done.
assets:
	bash scripts/assets.sh

# The chapters show the library's code and run it, but the execution caches only notice changes
# to the notebooks: when backprop_lib changes, drop both editions' caches so every chapter runs again
# (when only its Korean catalogue changes, the Korean edition's).
_build/.library-stamp: $(shell find backprop_lib -name '*.py')
	rm -rf _build/.jupyter_cache _build/.jupyter_cache-ko
	mkdir -p _build && touch $@

_build/.library-ko-stamp: $(shell find backprop_lib -name '*.mo')
	rm -rf _build/.jupyter_cache-ko
	mkdir -p _build && touch $@

# Both editions, side by side (two processes): English in _build/html, Korean in _build/html/ko. Each
# executes the chapters in its own language, with its own cache (_build/.jupyter_cache, .jupyter_cache-ko);
# the Korean notebooks are the English ones translated from locales/ko (scripts/korean.py). Then each
# edition as one PDF (scripts/pdf.py: the single-page build printed by Chromium), linked from every page.
# Warnings are errors.
book: setup assets _build/.book-stamp

# What the editions are built from: when nothing of it is newer than the last build, `make book` (and
# so `make test`, right after it) builds nothing again.
BOOK_SOURCES := $(wildcard $(shell git ls-files chapters exercises book locales backprop_lib scripts \
                  _config.yml _toc.yml pyproject.toml 2>/dev/null))

_build/.book-stamp: _build/.library-stamp _build/.library-ko-stamp $(BOOK_SOURCES)
	$(BIN)/python scripts/performance.py
	$(MAKE) --no-print-directory -j2 book-en book-ko
	touch $@

book-en:
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	cp book/_static/*.* _build/html/_static/  # Sphinx never overwrites its earlier copy of a changed course.css
	$(BIN)/python scripts/pdf.py --lang en  # _build/html/backprop-course-en.pdf

book-ko:
	$(BIN)/python scripts/korean.py build
	$(BIN)/python scripts/pdf.py --lang ko  # _build/html/ko/backprop-course-ko.pdf

test: book
	$(BIN)/python -m pytest

# The developer's loop: the library, the grader and the exercises, without building the site, running
# the chapters again or grading whole class folders (tests marked "site", "notebooks" or "batch",
# tests/conftest.py), on every core (pytest-xdist); `make test` runs them all, one at a time, the hostile suite
# in both isolation modes included.
check: setup
	$(BIN)/python -m pytest -q -n auto -m "not site and not notebooks and not batch"

# The whole course in JupyterLab: the repository is its root (so the chapters' links to their
# exercises work), the file browser starts in chapters/. It prints the address to open;
# --allow-root: the README's set-up may run as root. PORT=8888 by default, the next free one if taken.
lab: setup
	$(BIN)/jupyter lab --no-browser --allow-root --ip=127.0.0.1 --port=$(or $(PORT),8888) \
	    --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/chapters

# exercises/ is generated from solutions/ (the single source); `--check` only compares.
release: setup
	$(BIN)/python -m backprop_grader.release

# Grade one submission: make grade SUBMISSION=exercises/04_matmul.ipynb
grade: setup
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=path/to/notebook.ipynb" >&2; exit 2; }
	$(BIN)/backprop-grade $(SUBMISSION)

# Benchmarks against the peers (PyTorch CPU, installed by `make setup`), then the performance page.
bench: setup
	@$(BIN)/python -c "import torch" 2>/dev/null || { echo "make bench needs PyTorch: $(BIN)/pip install torch==$(TORCH_VERSION)" >&2; exit 2; }
	$(BIN)/python bench/bench_train.py
	$(BIN)/python bench/bench_gradcheck.py
	$(BIN)/python bench/bench_grader.py
	$(BIN)/python bench/sandbox_overhead.py
	$(BIN)/python scripts/performance.py

clean:
	rm -rf _build
