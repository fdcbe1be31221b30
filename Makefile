# herlens: `make run` serves it, `make test` tests it. Both set up .venv first.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint venv bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "herlens needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@mkdir -p var
	DEBUG=$${DEBUG-1} $(PY) manage.py migrate --verbosity 0
	DEBUG=$${DEBUG-1} $(PY) manage.py loaddemo --if-empty
	DEBUG=$${DEBUG-1} $(PY) manage.py serve --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP)
	@bash scripts/test.sh

bench: $(STAMP)
	for script in bench/*.py; do case $$script in */common.py) ;; *) $(PY) $$script || exit 1;; esac; done

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
