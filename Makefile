# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install run test test-fast bench demo clean lint

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# The web app, the Prefect server and its worker; Ctrl-C stops all three. Development mode: a
# random secret key is made once in var/instance/ (production refuses to start without one).
run: install
	$(BIN)/yijia db upgrade
	$(BIN)/yijia demo
	YIJIA_ENV=$${YIJIA_ENV:-development} $(BIN)/yijia up

demo: install
	$(BIN)/yijia db upgrade
	$(BIN)/yijia demo

test: install
	$(BIN)/python -m pytest

bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null 2>&1) \
		|| echo "install wrk (apt-get install wrk) for the web benchmark"
	$(BIN)/python -m bench

# ruff (style, bugs, import order) and mypy (types): both must be clean; .ci/run runs this first.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var/yijia.db* .pytest_cache

# Refresh the English catalogue after changing user-facing text (Chinese is the source language).
i18n: install
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k N_ -k lazy_gettext -k _l -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d flows/core/translations -l en --no-fuzzy-matching -w 120
	$(BIN)/pybabel compile -d flows/core/translations
