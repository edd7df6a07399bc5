# The verbs people type. The README's two commands are `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup book test lab release grade bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

book: setup
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: book
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build
