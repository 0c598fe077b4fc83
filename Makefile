# Fresh machine: `make run` opens the app on your data, `make test` runs every check CI runs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# A second environment with the base install only (a built wheel, no extras): no Qt at all.
NOQT ?= .venv-noqt
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run demo test test-noqt lint format bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[gui,dev,fastapi]'
	touch $(STAMP)

run: $(STAMP)
	QT_QPA_PLATFORM= $(VENV)/bin/peft-telemetry-gui

demo: $(STAMP)
	QT_QPA_PLATFORM= $(VENV)/bin/peft-telemetry-gui --demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider $(QT_FREE_TESTS:%=--ignore=%)
	$(MAKE) --no-print-directory test-noqt

# The library and the CLI as a host app gets them: the wheel without extras, in a venv that has
# never seen PySide6. The core and CLI tests run there (only there: each test runs once).
QT_FREE_TESTS := tests/core tests/test_cli.py tests/test_cli_output.py tests/test_cli_receipt.py tests/test_cli_catalogue.py tests/test_cli_scrub.py tests/test_cli_stats.py tests/test_docs_examples.py \
	tests/test_integrations_peft_studio.py
test-noqt:
	test -x $(NOQT)/bin/python || python3 -m venv $(NOQT)
	rm -rf $(NOQT)/dist
	$(NOQT)/bin/python -m pip install -q --upgrade pip
	$(NOQT)/bin/python -m pip wheel -q --no-deps -w $(NOQT)/dist .
	$(NOQT)/bin/python -m pip install -q --force-reinstall --no-deps $(NOQT)/dist/*.whl
	$(NOQT)/bin/python -m pip install -q "$$(ls $(NOQT)/dist/*.whl)[test]"
	! $(NOQT)/bin/python -m pip show -q PySide6-Essentials pyqtgraph 2>/dev/null
	cd tests && ../$(NOQT)/bin/python -c "import peft_telemetry_gui as p, sys; \
	  sys.exit(0 if 'site-packages' in p.__file__ else 'not the installed wheel: ' + p.__file__)"
	cd tests && ../$(NOQT)/bin/python -m pytest -q -p no:cacheprovider -c ../pyproject.toml \
	  --rootdir .. $(QT_FREE_TESTS:tests/%=%) test_qt_free.py test_launch.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[gui,dev,bench]'
	$(PY) bench/client.py
	$(PY) bench/gui.py
	$(PY) bench/upload.py

# Every page of the --demo app, rendered in a real window under Xvfb (apt: xvfb).
screenshots: $(STAMP)
	env -u QT_QPA_PLATFORM $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) $(NOQT) .pytest_cache .ruff_cache .hypothesis *.egg-info
