# The one entry point. Every target sets up what it needs: a fresh machine needs only Python (3.13
# preferred, the Lambda runtime; 3.12 works) and pip.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
# The Lambda runtime's Python: 3.13 (from PATH or pyenv), else 3.12. A candidate must actually run
# (a pyenv shim for a version that is not selected exists but fails).
PYTHON ?= $(shell for c in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do $$c -c '' >/dev/null 2>&1 && { command -v $$c; break; }; done)
export SAM_CLI_TELEMETRY := 0
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: help install lock test lint typecheck validate security build events openapi local replay bench toil setup status redrive clean deploy

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "need python3.13 (or 3.12) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --constraint constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed  ## create .venv with the package and the dev tools, at the versions of constraints.txt

lock: install  ## re-resolve pyproject.toml's dependencies into constraints.txt (then make install, commit both)
	$(PY) -m scripts.lock

test: install  ## unit, integration and template tests (moto; no AWS account, no Docker)
	$(PY) -m pytest

lint: install  ## ruff, and the layout's import contracts (import-linter, pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install  ## mypy (strict, pydantic plugin)
	$(VENV)/bin/mypy

validate: install  ## sam validate --lint, and the generated sample events are up to date
	$(VENV)/bin/sam validate --lint
	$(PY) -m scripts.build_events --check

SECURITY_VENV ?= .venv-security
$(SECURITY_VENV)/.installed:
	$(PYTHON) -m venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SECURITY_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $@

security: $(SECURITY_VENV)/.installed  ## checkov on template.yaml (its own venv: its pins clash with sam's)
	$(SECURITY_VENV)/bin/checkov -f $(CURDIR)/template.yaml --config-file $(CURDIR)/.checkov.yaml

build: install  ## sam build (layer with its requirements, one folder per function), all compiled to bytecode
	$(VENV)/bin/sam build --parallel
	$(MAKE) --no-print-directory -f layers/cxbridge/Makefile bytecode BYTECODE_DIRS='.aws-sam/build/*Function'

events: install  ## regenerate events/*.json from events/genesys/*.json
	$(PY) -m scripts.build_events

openapi: install  ## regenerate docs/openapi.json from the workitems API (a test fails while it is stale)
	$(PY) -m scripts.openapi

local: install  ## the whole system on http://127.0.0.1:3000 (PORT=): AWS on moto (PORT+3), Genesys (PORT+1) and CRM (PORT+2) sandboxes; stops on Ctrl-C or a SIGTERM to make
	exec $(PY) -m local.run $(if $(PORT),--port $(PORT))  # exec: make's child is the stack, which stops with make

replay: install  ## start the local stack, post every sample 3x, print what happened, exit
	$(PY) -m local.run --replay --port 0

faults: install  ## the reliability run, an API sink and Automation Anywhere: CRM faults, events x3, worker timeouts, lost callbacks, changed dispositions, stream retries exhausted, the reconciler; last line JSON (CALLS=10000 SINK=salesforce|dynamics AA_MODE=deploy|workqueue)
	$(PY) -m local.faults $(if $(CALLS),--calls $(CALLS)) $(if $(SINK),--sink $(SINK)) $(if $(AA_MODE),--aa-mode $(AA_MODE))

demo: install  ## a scripted day through the local stack (CALLS=300): progress and summary; log lines in .local/demo.log; non-zero if the numbers do not add up
	$(PY) -m local.demo $(if $(CALLS),--calls $(CALLS))

bench: install  ## the DESIGN.md figures (QUICK=1 for a small run); last line is one JSON object
	$(PY) -m bench $(if $(QUICK),--quick)

toil: install  ## the toil report on generated calls, no AWS: a table and toil-report.html (DATE= DAYS= SCOPE=org|queue SOURCE=records|genesys-analytics OUT=)
	$(PY) -m scripts.toil $(if $(DATE),--date $(DATE)) $(if $(DAYS),--days $(DAYS)) $(if $(SCOPE),--scope $(SCOPE)) $(if $(SOURCE),--source $(SOURCE)) $(if $(OUT),--out $(OUT))

# The deployed stack (STACK=), or the local stack of `make local` when STACK is not given.
CXBRIDGE_WHERE = $(if $(STACK),--stack $(STACK),--local)

setup: install  ## write the CRM parameter and secrets from CONFIG= (default cxbridge.example.yaml), check every connection (STACK=; none: the local stack)
	$(VENV)/bin/cxbridge setup --config $(or $(CONFIG),cxbridge.example.yaml) $(CXBRIDGE_WHERE)

status: install  ## queues, dead letters by reason, stranded records, breaker, last toil report (STACK=; none: the local stack)
	$(VENV)/bin/cxbridge status $(CXBRIDGE_WHERE)

redrive: install  ## dead letters back on their path: crm-sync by a message move, ingest replayed from what each holds (STACK= QUEUE=crm-sync|ingest RATE= STATUS=1 shows progress)
	$(VENV)/bin/cxbridge redrive $(CXBRIDGE_WHERE) --queue $(or $(QUEUE),crm-sync) $(if $(RATE),--rate $(RATE)) $(if $(STATUS),--status)

deploy: build  ## sam deploy (ENV=dev|prod picks the samconfig.toml environment)
	$(VENV)/bin/sam deploy --config-env $(or $(ENV),default)

clean:  ## remove build output and caches (and the bench's Lambda-like twin)
	rm -rf .aws-sam .bench .pytest_cache .mypy_cache .ruff_cache
