# Two commands set everything up: `make run` (the local stack) and `make test` (every test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# checkov pins boto3 and pytest versions of its own, so it lives in a venv of its own.
TOOLS := .venv-tools
TOOLS_INSTALLED := $(TOOLS)/.installed
STAGE ?= dev
# The API in front of the functions: http (API Gateway v2, $1.00 per million requests) or rest (the REST
# API, $3.50 per million, for a WAF or usage plans); see docs/scale.md for what differs.
API ?= http
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: run reset test bench resources package check-template clean

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED)

$(TOOLS_INSTALLED): requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $(TOOLS_INSTALLED)

# The local stack keeps its data across restarts, in LOCAL_STATE_DIR (default .local/).
run: $(INSTALLED)
	$(BIN)/python -m local.stack

# Delete the local stack's saved AWS state (not the carrier credentials); refused while it runs.
reset:
	$(PYTHON) -m local.state_files reset

# Test files spread over one worker per core (pytest-xdist), each file whole on one worker (its
# module fixtures, such as the integration tests' local stack, are started once, and a file's
# coverage tests see its scenarios). TEST_WORKERS=0: serial.
TEST_WORKERS ?= auto
test: $(INSTALLED) check-template
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Every benchmark under bench/, figures written to bench/RESULTS.md with the machine noted (a few minutes).
bench: $(INSTALLED)
	$(BIN)/python -m bench.results

# Regenerate the merge template from schema.py, config.py and app.py (a test fails while it is stale).
resources: $(INSTALLED)
	$(BIN)/python -m infra.resources > infra/resources.json

# The deployable template for STAGE (dev or prod) behind API (http or rest): dist/$(STAGE)/sam.json and
# deployment.zip.
package: $(INSTALLED)
	rm -rf dist/$(STAGE)
	$(BIN)/chalice package --stage $(STAGE) --merge-template infra/resources.json dist/$(STAGE)
	$(BIN)/python -m infra.http_api --api $(API) dist/$(STAGE)/sam.json

# CI gate on what would be deployed: zero cfn-lint findings, checkov clean (skips and reasons in .checkov.yaml).
check-template: $(INSTALLED) $(TOOLS_INSTALLED)
	for stage in dev prod; do \
	  $(MAKE) --no-print-directory package STAGE=$$stage API=$(API) && \
	  $(BIN)/cfn-lint dist/$$stage/sam.json && \
	  $(TOOLS)/bin/checkov --config-file .checkov.yaml -f dist/$$stage/sam.json || exit 1; \
	done

clean:
	rm -rf $(VENV) $(TOOLS) .local .pytest_cache .hypothesis dist
