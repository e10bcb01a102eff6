# The README's two commands are `make run` and `make test`; everything they need is installed here.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser index run test lint unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: an unpinned torch resolves to multi-GB CUDA wheels.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev,bench]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

index: install
	$(VENV)/bin/assistant index --if-stale

run: index
	$(VENV)/bin/assistant serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check assistant tests benchmarks
	$(VENV)/bin/mypy

unit: install
	$(VENV)/bin/pytest -m "not integration and not browser"

test: install browser lint
	$(VENV)/bin/pytest

bench: install index
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) index/current index/builds
