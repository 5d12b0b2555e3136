# ZoneWatch: the two commands of the README, and what they need.
#   make run    serve the app on http://127.0.0.1:8501 (embedded store, shipped data)
#   make test   the whole test suite (installs Debian's Chromium for the browser tests and
#               PostgreSQL + PostGIS for the store tests, which start their own server)
SHELL := /bin/bash
UV := python3 -m uv
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test setup uv system bench

# uv from PyPI; where the system Python is "externally managed" (PEP 668), as a user package.
uv:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
	  || python3 -m pip install --quiet --user --break-system-packages uv

# Python packages pinned by uv.lock, compiled to bytecode once (where PYTHONDONTWRITEBYTECODE
# is set, every new process would compile them again: a page's first use of altair took
# over a second), and Leaflet copied from its package into static/.
setup: uv
	@$(UV) sync --locked --quiet --compile-bytecode
	@$(UV) run --locked python -m geo.assets static

run: setup
	$(UV) run --locked streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Debian packages the tests need: Chromium (browser tests), PostgreSQL + PostGIS (store tests).
SYSTEM_PACKAGES := chromium postgresql-15-postgis-3
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

test: setup system
	$(UV) run --locked ruff check .
	$(UV) run --locked pytest

# The map benchmark (BENCHMARKS.md): 10k, 100k and 1M events against folium and leafmap.
bench: setup system
	$(UV) run --locked --group bench python bench/map_scale.py
