# The README's two commands are `make demo` and `make test`; everything else supports them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# python-escpos caches printer capabilities; give it one stable folder (not a temp dir per import).
export ESCPOS_CAPABILITIES_PICKLE_DIR := $(CURDIR)/var/escpos-cache
DEBS := chromium cups cups-bsd postgresql cage curl python3-venv systemd \
	libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench system-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.runtime

# zpl-renderer-js renders labels in the printing tests; the lock file pins it.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests drive for real: Chromium (browser tests), CUPS (the cups://
# printer path), PostgreSQL (multi-site), and what deploy/install.sh puts on a store's PC
# (cage, curl, python3-venv; tests/deploy, which also runs systemd-analyze), and the Pango
# and fonts WeasyPrint lays out the end-of-day report's PDF with. Installed only when missing.
system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: $(VENV)/.runtime
	mkdir -p var
	$(BIN)/kiosk demo

test: system-deps $(VENV)/.test node_modules/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider

# valgrind counts the instructions of a scan (bench_instructions.py): a figure the machine's
# other work does not move.
bench: $(VENV)/.test
	@dpkg -s valgrind >/dev/null 2>&1 || { echo "Installing Debian packages: valgrind"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind >/dev/null; }
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules var test-artifacts
