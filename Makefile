# Fresh machine: `make run` opens the app on your data, `make test` runs every check CI runs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# A second environment with the base install only (a built wheel, no extras): no Qt at all.
NOQT ?= .venv-noqt
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run demo test test-noqt lint format bench screenshots clean translations check-translations \
	dist check-dist bundle install-desktop uninstall-desktop

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

# The texts to translate, from the sources (and resources/collection.json) into
# resources/translations/messages.pot, then de.po/fr.po (kept translations, new texts empty),
# then the .mo files the app reads. tests/test_translations.py fails when any is out of step.
translations: $(STAMP)
	$(PY) scripts/translations.py extract

check-translations: $(STAMP)
	$(PY) scripts/translations.py check

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

# Packaging (issue 13). `dist`: the wheel and sdist users install, built as PyPI's tools build
# them (through the sdist, in an isolated environment), refused if the build prints a warning.
# PYTHONDONTWRITEBYTECODE is unset for it: with it, setuptools warns that it cannot byte-compile,
# which says something about this shell, not the package.
DIST ?= dist
# A user's install: the wheel and its extras in a venv of their own, nothing of .venv's.
USER_VENV ?= build/venv-user
PACKAGING_STAMP := $(VENV)/.installed-packaging

$(PACKAGING_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[gui,dev,packaging]'
	touch $@

dist: $(PACKAGING_STAMP)
	rm -rf $(DIST)/peft_telemetry_gui-* build/dist.log
	mkdir -p build
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m build --outdir $(DIST) . >build/dist.log 2>&1 || \
	  { cat build/dist.log; exit 1; }
	! grep -i -B2 -A6 'warning:' build/dist.log || { echo 'dist: the build warned (above)'; exit 1; }
	ls -l $(DIST)/peft_telemetry_gui-*

# What PyPI and a user's `pipx install 'peft-telemetry-gui[gui]'` would see: twine's check, the
# files in the wheel and sdist against the tree, then both commands from a venv made afresh
# (the app on sample data, leaving no key in the keyring and no settings in ~/.config).
check-dist: dist
	$(PY) -m twine check --strict $(DIST)/peft_telemetry_gui-*
	$(PY) packaging/check_dist.py $(DIST)
	rm -rf $(USER_VENV)
	python3 -m venv $(USER_VENV)
	$(USER_VENV)/bin/python -m pip install -q "$$(ls $(DIST)/peft_telemetry_gui-*.whl)[gui]"
	$(USER_VENV)/bin/peft-telemetry --help >/dev/null
	$(USER_VENV)/bin/peft-telemetry-gui --help >/dev/null
	QT_QPA_PLATFORM=offscreen PEFT_TELEMETRY_SECRETS=file XDG_CONFIG_HOME=$(USER_VENV)/config \
	  $(USER_VENV)/bin/peft-telemetry-gui --demo --screenshot $(USER_VENV)/demo.png
	test -s $(USER_VENV)/demo.png
	@echo 'check-dist: wheel and sdist OK; both commands run from a fresh [gui] install'

# The desktop app as a one-folder bundle, dist/bundle/peft-telemetry-gui/ (packaging/), made
# from the wheel in the user's venv (plus PyInstaller): it holds what a user installs.
bundle: dist
	test -x $(USER_VENV)/bin/python || python3 -m venv $(USER_VENV)
	$(USER_VENV)/bin/python -m pip install -q --force-reinstall --no-deps $(DIST)/*.whl
	$(USER_VENV)/bin/python -m pip install -q "$$(ls $(DIST)/peft_telemetry_gui-*.whl)[gui,bundle]"
	$(USER_VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath $(DIST)/bundle \
	  --workpath build/pyinstaller packaging/peft-telemetry-gui.spec
	du -sh $(DIST)/bundle/peft-telemetry-gui

# The menu entry, the AppStream metadata and the icons, for the current user (XDG_DATA_HOME,
# else ~/.local/share). Exec names the command on PATH, else this clone's .venv (`make run`).
DATA_HOME = $(or $(XDG_DATA_HOME),$(HOME)/.local/share)
APP_ID := org.peftstudio.PeftTelemetry
ICON_SIZES := 16 32 48 64 128 256
GUI_COMMAND ?= $(or $(shell command -v peft-telemetry-gui),$(abspath $(VENV))/bin/peft-telemetry-gui)
install-desktop:
	install -d $(DATA_HOME)/applications $(DATA_HOME)/metainfo
	sed -e 's|^Exec=.*|Exec=$(GUI_COMMAND)|' -e 's|^TryExec=.*|TryExec=$(GUI_COMMAND)|' \
	  resources/peft-telemetry-gui.desktop >$(DATA_HOME)/applications/peft-telemetry-gui.desktop
	install -m 644 resources/$(APP_ID).metainfo.xml $(DATA_HOME)/metainfo/
	$(foreach n,$(ICON_SIZES),install -D -m 644 resources/icons/peft-telemetry-$(n).png \
	  $(DATA_HOME)/icons/hicolor/$(n)x$(n)/apps/peft-telemetry.png &&) true
	install -D -m 644 resources/icons/peft-telemetry.svg \
	  $(DATA_HOME)/icons/hicolor/scalable/apps/peft-telemetry.svg
	touch $(DATA_HOME)/icons/hicolor  # icon caches look at this folder's time
	if command -v update-desktop-database >/dev/null; then \
	  update-desktop-database -q $(DATA_HOME)/applications; fi
	@echo 'install-desktop: PEFT Telemetry is in the menu (Exec=$(GUI_COMMAND))'

uninstall-desktop:
	rm -f $(DATA_HOME)/applications/peft-telemetry-gui.desktop \
	  $(DATA_HOME)/metainfo/$(APP_ID).metainfo.xml \
	  $(DATA_HOME)/icons/hicolor/scalable/apps/peft-telemetry.svg \
	  $(foreach n,$(ICON_SIZES),$(DATA_HOME)/icons/hicolor/$(n)x$(n)/apps/peft-telemetry.png)

clean:
	rm -rf $(VENV) $(NOQT) .pytest_cache .ruff_cache .hypothesis *.egg-info build dist
