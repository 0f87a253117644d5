# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint unit demo screenshot bench chaos soak package package-test clean help sdkclient sdkclient-test

help:
	@echo "make run           open the monitor on the embedded simulator (demo meeting ready)"
	@echo "make test          lint, import contract and the whole suite, headless"
	@echo "make demo          the headless tour (python -m app demo)"
	@echo "make screenshot    docs/screenshot-*.png at 1280x720 and 1920x1080 (needs xvfb)"
	@echo "make bench         benchmarks against their floors (not part of make test)"
	@echo "make package       PyInstaller bundle + dist/dcmon_<version>_<arch>.deb"
	@echo "make package-test  build, install, smoke-run and remove the .deb"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dcmon needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@bash sdkclient/install.sh
	@bash scripts/qt_sysdeps.sh window
	$(BIN)/python -m app gui

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/lint-imports

test: $(STAMP) lint sdkclient-test
	@bash packaging/linux/build_deps.sh check
	@bash scripts/qt_sysdeps.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

# The SDK client driver (sdkclient/, Node): npm ci from its lock when stale (needs node + npm;
# the message names the install line), then its node:test tests against the simulator.
sdkclient:
	@bash sdkclient/install.sh --required

sdkclient-test: $(STAMP) sdkclient
	cd sdkclient && DCMON_PYTHON=$(CURDIR)/$(BIN)/python node --test test/*.test.js

demo: $(STAMP)
	$(BIN)/python -m app demo

screenshot: $(STAMP)
	@bash scripts/qt_sysdeps.sh window
	@command -v xvfb-run >/dev/null || { echo "needs Xvfb: sudo apt-get install -y xvfb xauth"; exit 1; }
	xvfb-run -a -s "-screen 0 1280x720x24" $(BIN)/python scripts/screenshot.py docs/screenshot-1280x720.png
	xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python scripts/screenshot.py docs/screenshot-1920x1080.png
	cp docs/screenshot-1920x1080.png docs/screenshot.png

bench: $(STAMP)
	@bash sdkclient/install.sh  # the SDK client rows need its node_modules (skipped without Node)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

# Packaging (packaging/README.md): PyInstaller one-folder bundle + dist/dcmon_<version>_<arch>.deb
package: $(STAMP)
	@$(BIN)/python -c 'import PyInstaller' 2>/dev/null || $(BIN)/python -m pip install -q -e '.[dev,package]'
	@bash scripts/qt_sysdeps.sh offscreen
	@bash packaging/linux/build_deps.sh build
	$(BIN)/python packaging/build.py

package-test: $(STAMP)
	@$(BIN)/python -c 'import PyInstaller' 2>/dev/null || $(BIN)/python -m pip install -q -e '.[dev,package]'
	@bash scripts/qt_sysdeps.sh window
	@bash packaging/linux/build_deps.sh test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -m packaging tests/packaging

# Chaos run (app/chaos): N seeded sequences (make chaos N=5000; default 5000), one
# generated sequence (make chaos SEED=S), or a replay (make chaos SEED=S STEPS='join ...').
# A failure prints the seed, the shrunk sequence and the command that replays it.
chaos: $(STAMP)
	$(BIN)/python -m app.chaos $(if $(STEPS),--seed $(or $(SEED),1) --steps "$(STEPS)",$(if $(SEED),--seed $(SEED)$(if $(N), -n $(N)),-n $(or $(N),5000)))

# Soak: MINUTES simulated minutes (default 30) of churn on the demo profile, time
# compressed x10; prints task count, open sockets and RSS at start and end (exit 1 if grown).
soak: $(STAMP)
	$(BIN)/python -m app.chaos.soak --minutes $(or $(MINUTES),30)
