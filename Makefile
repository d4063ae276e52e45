# Two set-up commands for a fresh machine: `make demo` and `make test` (both idempotent).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/cardio-intake
STAMP := $(VENV)/.installed
# System packages the project needs (OCR, PDF tools, the corpus's fonts).
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core fonts-liberation \
	fonts-freefont-ttf fonts-crosextra-carlito fonts-courier-prime fonts-comic-neue fonts-dkg-handwriting fonts-humor-sans
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 3000

.PHONY: install system-deps test-system-deps demo test lint typecheck bento serve clean

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Only the test suite needs these: headless Chromium renders the evaluation report (tests/test_eval_report.py).
TEST_APT_PACKAGES := chromium
test-system-deps:
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: system-deps $(STAMP)

demo: install
	$(CLI) demo

test: install test-system-deps
	$(PY) -m pytest -q tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

# The champion (models:/cardio-intake-referral@champion) goes into the BentoML model store first;
# `make serve` then serves it on 127.0.0.1:$(PORT) (keys: `cardio-intake keys create --name NAME`).
bento: install
	$(CLI) serving import-model
	$(VENV)/bin/bentoml build -f bentofile.yaml .

serve: install
	$(CLI) serving import-model
	$(VENV)/bin/bentoml serve serving.service:IntakeService --host 127.0.0.1 --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) data/corpus data/dataset mlruns mlflow.db bentos
