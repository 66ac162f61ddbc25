# Quick start: `make run` opens the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup system bench screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,corpus]'
	touch $(STAMP)

# System packages: Qt's xcb libraries and a font for the window, Xvfb for the tests' real-display run.
# Installed when make runs as root with apt-get; otherwise the apt-get line is printed.
system: $(STAMP)
	scripts/system_packages.sh $(BIN)/python

run: $(STAMP)
	scripts/system_packages.sh $(BIN)/python
	$(BIN)/netbuilder

test: $(STAMP)
	scripts/system_packages.sh $(BIN)/python --tests
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
