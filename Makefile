# Agora: the README's commands. Needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# `make run` serves the development settings; the tests always use their own,
# whatever DJANGO_SETTINGS_MODULE the shell happens to have.
RUN_SETTINGS ?= config.settings.dev
MANAGE := DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py

.PHONY: run test lint format bench install migrate catalogues messages clean screenshots

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Agora needs Python 3.11 or newer (found " + sys.version.split()[0] + ")"'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the declared dependencies change.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet ".[test,dev]"
	@touch $(STAMP)

install: $(STAMP)

# Translations: locale/<lang>/LC_MESSAGES/{django,djangojs}.po are the sources; the
# .mo files are compiled here, in pure Python (Babel), never committed. See
# docs/translating.md.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po | $(STAMP)
	$(VENV)/bin/pybabel -q compile -l $(word 2,$(subst /, ,$<)) -i $< -o $@

catalogues: $(MO_FILES)

# Bring the catalogues up to date with the source (needs GNU gettext's xgettext and
# msgmerge: `apt-get install gettext`); then translate what is new and `make test`.
MESSAGES_IGNORE := -i .venv -i var -i staticfiles -i build -i '*.egg-info' -i tests -i bench -i docs -i '*/vendor/*'
messages: install
	$(MANAGE) makemessages --all --no-obsolete $(MESSAGES_IGNORE)
	$(MANAGE) makemessages --all --no-obsolete -d djangojs $(MESSAGES_IGNORE)

migrate: install catalogues
	@$(MANAGE) migrate --noinput -v0

# Set up everything, load the demo city once, then serve on http://127.0.0.1:8000
# with the background-task worker beside it. Ctrl-C stops both. The request log
# goes to $(ACCESS_LOG) (ACCESS_LOG=- prints it), the worker's (its tasks and the
# notification mails it sends) to $(WORKER_LOG); LOG_LEVEL=INFO shows more.
ACCESS_LOG ?= var/access.log
WORKER_LOG ?= var/worker.log
RUN_LOG_LEVEL ?= WARNING
run: migrate
	@$(MANAGE) seed_demo
	@$(MANAGE) prune_live_events -v0
	@echo "Agora is starting on http://$(HOST):$(PORT)/ … Ctrl-C stops it. Logs: $(ACCESS_LOG), $(WORKER_LOG)."
	@mkdir -p var
	@trap 'kill $$worker $$server 2>/dev/null; wait' INT TERM EXIT; \
	LOG_LEVEL=$${LOG_LEVEL:-$(RUN_LOG_LEVEL)} $(MANAGE) db_worker --queue-name '*' >>$(WORKER_LOG) 2>&1 & worker=$$!; \
	LOG_LEVEL=$${LOG_LEVEL:-$(RUN_LOG_LEVEL)} DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(VENV)/bin/daphne -v 0 --access-log $(ACCESS_LOG) -b $(HOST) -p $(PORT) config.asgi:application & server=$$!; \
	$(MANAGE) demo_accounts --wait-for http://$(HOST):$(PORT)/healthz --url http://$(HOST):$(PORT)/ || true; \
	wait $$server

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check $$(git ls-files '*.html' 2>/dev/null || find . -name '*.html' -not -path './.venv/*')
	$(VENV)/bin/mypy accounts/actions.py accounts/roles.py accounts/privacy.py accounts/topics.py accounts/verification.py live/ \
		forums/actions.py ideas/actions.py ideas/tracking.py moderation/actions.py moderation/screening.py \
		budgets/actions.py budgets/counting.py budgets/pabulib.py \
		insights/actions.py insights/tasks.py insights/pipeline/ \
		polls/ballots.py polls/actions.py \
		search/index.py search/query.py search/registry.py config/concurrency.py

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/djhtml $$(git ls-files '*.html')

test: lint catalogues
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest

# Benchmarks print one JSON object per scenario (see bench/README.md).
bench: install
	$(PIP) install --quiet ".[serve,bench]"
	$(PY) bench/run.py $(BENCH_ARGS)

# Screenshots of the key pages at 1280 and 390 px into docs/screenshots/, from the
# demo that `make run` serves (start it first, in another terminal, on PORT).
screenshots: install
	$(MANAGE) screenshots --base-url http://$(HOST):$(PORT) --out docs/screenshots

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache $(MO_FILES)
