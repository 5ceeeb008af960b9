# Two commands a newcomer needs (see README): `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

# test-min: the same suite in a second venv where every declared dependency is pinned to its lower bound in
# pyproject.toml (pins derived by .ci/min_constraints.py on every install, so they cannot drift).
MIN_VENV ?= .venv-min
MIN_BIN := $(MIN_VENV)/bin

.PHONY: run test test-min lint bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve]'
	@# An editable install leaves our modules uncompiled (and PYTHONDONTWRITEBYTECODE may keep them so):
	@# compile them once, as pip does for an installed package, so the monitor starts ~45 ms sooner.
	$(BIN)/python -m compileall -q tui
	@touch $@

run: $(BIN)/.installed
	$(BIN)/streakwatch $(ARGS)

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 $(ARGS)

$(MIN_BIN)/.installed: pyproject.toml .ci/min_constraints.py
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install --quiet --upgrade pip
	$(MIN_BIN)/python .ci/min_constraints.py pyproject.toml test serve > $(MIN_VENV)/constraints.txt
	$(MIN_BIN)/python -m pip install --quiet -c $(MIN_VENV)/constraints.txt -e '.[test,serve]'
	@# Mutually installable is not enough: every pin must be what got installed, and nothing may conflict.
	$(MIN_BIN)/python -m pip check
	@touch $@

# The SVG snapshots are Textual's own rendering, which changes between Textual releases, so they are compared
# only at the versions `make test` installs; every other test must pass at the lower bounds.
test-min: $(MIN_BIN)/.installed
	$(MIN_BIN)/python -m pytest -n 2 -m "not svg_snapshot" $(ARGS)

# lint: the tools share .venv (mypy must see the installed dependencies to check calls into them); each tool runs
# even when an earlier one fails, so one run shows every finding, and the target fails if any of them did.
$(BIN)/.lint-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $@

lint: $(BIN)/.lint-installed
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/lint-imports || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: $(BIN)/.installed
	$(BIN)/python -m bench $(ARGS)

# The README's pictures (docs/*.svg), drawn by the monitor itself on frozen clocks from the real history in
# ../shared/data/market/replay (ARGS="--only history-2026-01-15" for one; each picture is an entry of SHOTS).
screenshots: $(BIN)/.installed
	$(BIN)/python tools/screenshots.py $(ARGS)

clean:
	rm -rf $(VENV) $(MIN_VENV) .pytest_cache .hypothesis
