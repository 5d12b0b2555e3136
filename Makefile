# ZoneWatch: the two commands of the README, and what they need.
#   make run    serve the app on http://127.0.0.1:8501 (embedded store, shipped data)
#   make test   the whole test suite (installs Debian's Chromium for the browser tests)
SHELL := /bin/bash
UV := python3 -m uv
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test setup uv chromium

uv:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# Python packages pinned by uv.lock, and Leaflet copied from its package into static/.
setup: uv
	@$(UV) sync --locked --quiet
	@$(UV) run --locked python -m geo.assets static

run: setup
	$(UV) run --locked streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's Chromium for the browser tests..."; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: setup chromium
	$(UV) run --locked ruff check .
	$(UV) run --locked pytest
