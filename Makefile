# The verbs people type. The README's two commands are `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup assets book test lab release grade bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# The site's JavaScript (MathJax, require.js, the widgets' html-manager) from npm, served
# by the site itself so that it works offline; fast when already done.
assets:
	bash scripts/assets.sh

# The chapters show the library's code and run it, but the execution cache only notices changes
# to the notebooks: when backprop_lib changes, drop the cache so every chapter runs again.
_build/.library-stamp: $(shell find backprop_lib -name '*.py')
	rm -rf _build/.jupyter_cache
	mkdir -p _build && touch $@

# Chapters execute during the build (cached in _build/.jupyter_cache); warnings are errors.
book: setup assets _build/.library-stamp
	$(BIN)/python scripts/performance.py
	rm -f $(addprefix _build/html/_static/,$(notdir $(wildcard book/_static/*.*)))  # Sphinx keeps an earlier copy
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: book
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab chapters/

# exercises/ is generated from solutions/ (the single source); `--check` only compares.
release: setup
	$(BIN)/python -m backprop_grader.release

# Grade one submission: make grade SUBMISSION=exercises/04_matmul.ipynb
grade: setup
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=path/to/notebook.ipynb" >&2; exit 2; }
	$(BIN)/backprop-grade $(SUBMISSION)

# Benchmarks against the peers (PyTorch CPU: pip install torch==2.13.0), then the performance page.
bench: setup
	@$(BIN)/python -c "import torch" 2>/dev/null || { echo "make bench needs PyTorch: $(BIN)/pip install torch==2.13.0" >&2; exit 2; }
	$(BIN)/python bench/bench_train.py
	$(BIN)/python bench/bench_gradcheck.py
	$(BIN)/python bench/bench_grader.py
	$(BIN)/python bench/sandbox_overhead.py
	$(BIN)/python scripts/performance.py

clean:
	rm -rf _build
