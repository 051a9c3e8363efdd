# Two commands on a fresh clone:  `make run` starts the tutor, `make test` runs the tests.
# Both create .venv with pip (torch comes from pip; uv and poetry would download gigabytes).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# compileall: the tutor's own bytecode, written ahead (pip does it for a wheel; an editable install
# writes it on first import, unless PYTHONDONTWRITEBYTECODE is set, as on some servers: then every
# start would compile ~100 modules again, ~100 ms before the first screen).
run: $(STAMP)
	@$(PY) -m compileall -q tutor
	$(VENV)/bin/ptref-tutor

test: $(STAMP) deps
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ptref-tutor lint

# Debian packages some tests use (tmux for the terminal tests, the real Fashion-MNIST data set,
# chromium for the browser tests).
# Installed only where apt-get runs as root; the tests that need them skip, saying why, elsewhere.
deps:
	@sh scripts/debian-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache
