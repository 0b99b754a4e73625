# sovscan developer entry points. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test bench lint clean sysdeps catalogs

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

# System packages the report tests use: Chromium (HTML rendered in a real browser), poppler-utils
# (pdftotext reads the PDF back), Pango and fonts (WeasyPrint). Installed when missing (CI runs as root).
SYSDEPS := chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
sysdeps:
	@if command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
	    && dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1; then :; else \
	  echo "installing $(SYSDEPS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSDEPS); \
	fi

# Every test, the live, browser and slow ones included (CI runs this). A plain `pytest` in the
# virtual environment runs the fast default suite (see addopts in pyproject.toml).
test: $(TSTAMP) sysdeps
	$(PY) -m pytest -q -m ""

# Report catalogues: extract the messages of the report templates, merge them into each language's
# .po, compile the .mo files (committed, so an install needs no build step). Translate the new
# entries in scanner/locale/<lang>/LC_MESSAGES/sovscan.po, then run this again.
catalogs: $(STAMP)
	$(VENV)/bin/pybabel extract -F scanner/locale/babel.cfg --no-location --sort-output --project sovscan \
	  --version "$$($(PY) -c "import scanner; print(scanner.__version__)")" --copyright-holder "sovscan contributors" --msgid-bugs-address "sovscan contributors" \
	  -o scanner/locale/sovscan.pot .
	$(VENV)/bin/pybabel update -i scanner/locale/sovscan.pot -d scanner/locale -D sovscan \
	  --width 100 --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile -d scanner/locale -D sovscan --statistics

bench: $(TSTAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/live_parallel.py --repeat 3

lint: $(TSTAMP)
	$(VENV)/bin/ruff check scanner providers graphs tests benchmarks scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
