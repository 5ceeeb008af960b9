# Two commands a newcomer needs (see README): `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# An editable install leaves our modules uncompiled (and PYTHONDONTWRITEBYTECODE may keep them so):
	@# compile them once, as pip does for an installed package, so the monitor starts ~45 ms sooner.
	$(BIN)/python -m compileall -q tui
	@touch $@

run: $(BIN)/.installed
	$(BIN)/streakwatch $(ARGS)

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 $(ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
