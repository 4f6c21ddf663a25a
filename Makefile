# StoryVid — `make demo` makes one episode offline; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
EXTRAS := dev,render,moderation,image-moderation,platforms,cloud-ai,production
export STORYVID_HOME ?= $(CURDIR)/storyvid_home

.PHONY: demo dev console test lint format bench bench-render bench-recommend bench-illustrations bench-captions clean help

help:
	@echo "make demo    - bootstrap .venv, make one complete episode offline, print where the videos are"
	@echo "make dev     - Dagster UI on http://127.0.0.1:3000"
	@echo "make console - the web console on http://127.0.0.1:8765 (DAGSTER_URL=http://127.0.0.1:3000 for the runs page)"
	@echo "make test    - the full test suite (installs test extras)"
	@echo "make bench-render - rendering benchmark (writes benchmarks/results/render.json)"
	@echo "make bench-illustrations - contact sheets, scene distinctness, image time (writes benchmarks/results/illustrations.json)"
	@echo "make bench-captions - caption sync against the voice, per channel (writes benchmarks/results/caption_sync.json)"
	@echo "make bench-recommend - training + recommending, 2 years x 4 platforms (writes benchmarks/results/recommend.json)"

$(VENV)/.base: pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

$(VENV)/.all: $(VENV)/.base
	$(PIP) install -e '.[$(EXTRAS)]'
	touch $@

$(VENV)/.bench: $(VENV)/.all
	$(PIP) install -e '.[$(EXTRAS),bench]'
	$(PIP) install --no-deps moviepy==2.2.1  # its pillow<12 pin conflicts with ours; works with pillow 13
	touch $@

demo: $(VENV)/.base
	$(BIN)/storyvid demo $(if $(CHANNEL),--channel $(CHANNEL)) $(if $(DATE),--date $(DATE))

console: $(VENV)/.all
	$(BIN)/storyvid console serve $(if $(DAGSTER_URL),--dagster-url $(DAGSTER_URL))

dev: $(VENV)/.base
	mkdir -p $(STORYVID_HOME)/dagster
	DAGSTER_HOME=$(STORYVID_HOME)/dagster $(BIN)/dg dev --host 127.0.0.1 --port 3000

lint: $(VENV)/.all
	$(BIN)/ruff check storyvid_assets storyvid_tests benchmarks

format: $(VENV)/.all
	$(BIN)/ruff format storyvid_assets storyvid_tests benchmarks

test: $(VENV)/.all
	@if [ -x scripts/ensure-chromium.sh ]; then scripts/ensure-chromium.sh; fi
	$(BIN)/ruff check storyvid_assets storyvid_tests benchmarks
	$(BIN)/pytest -n 2 --timeout 900

bench: bench-render bench-recommend bench-illustrations bench-captions

bench-render: $(VENV)/.bench
	$(BIN)/python benchmarks/bench_render.py

bench-illustrations: $(VENV)/.base
	$(BIN)/python benchmarks/contact_sheets.py --label $(or $(LABEL),after)

bench-captions: $(VENV)/.base
	$(BIN)/python benchmarks/caption_sync.py

bench-recommend: $(VENV)/.all
	$(BIN)/python benchmarks/bench_recommend.py

clean:
	rm -rf $(VENV) storyvid_home .pytest_cache .ruff_cache
