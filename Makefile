# sovscan developer entry points. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(TSTAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TSTAMP)

demo: $(STAMP)
	rm -rf out && mkdir -p out
	$(VENV)/bin/sovscan run --inventory sample_inventories/ --org "Demo (all sample organisations)" --format json --output out/result.json
	$(VENV)/bin/sovscan run --inventory sample_inventories/ --org "Demo (all sample organisations)" --format md --output out/summary.md
	$(VENV)/bin/sovscan run --inventory sample_inventories/ --org "Demo (all sample organisations)" --format table
	@echo "Wrote out/result.json and out/summary.md"

test: $(TSTAMP)
	$(PY) -m pytest -q

bench: $(TSTAMP)
	$(PY) benchmarks/run.py

lint: $(TSTAMP)
	$(VENV)/bin/ruff check scanner providers graphs tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
