# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
DEMO_AGREEMENTS ?= 2345

CATALOGUE := locale/ja/LC_MESSAGES/django
.PHONY: install run test lint bench search-quality clean messages backup restore

install: $(VENV)/.installed $(CATALOGUE).mo

# The Japanese catalogue, compiled by Babel (pure Python: no gettext package needed).
$(CATALOGUE).mo: $(CATALOGUE).po $(VENV)/.installed
	$(BIN)/pybabel -q compile -d locale -D django -l ja

# After changing user-visible text: collect it into the catalogue (needs GNU gettext),
# then translate the new entries.
messages: export DEBUG := 1
messages: install
	$(MANAGE) makemessages -l ja --no-obsolete -i ".venv/*" -i "staticfiles/*" \
		-i "bench/*" -i "tests/*"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# A populated registry on http://127.0.0.1:8000 (SQLite unless DATABASE_URL says otherwise).
run: export DEBUG := 1
# Log lines for people; production writes JSON (README: Operations).
run: export LOG_FORMAT := text
run: install
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) load_reference_data
	$(MANAGE) seed_demo --agreements $(DEMO_AGREEMENTS) --seed 2021
	$(MANAGE) reindex
	$(MANAGE) demo_login
	$(MANAGE) runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest

lint: export DEBUG := 1
lint: install
	$(BIN)/ruff check .
	$(MANAGE) makemigrations --check --dry-run

# Speed measurements on PostgreSQL with generated data; see README "Benchmarks".
bench: install
	$(BIN)/python bench/run.py --write-readme
	$(MAKE) search-quality

# How often the search box finds what people mean (tests/search_evaluation), on a
# fresh demo registry in a throwaway SQLite file; see README "How search works".
search-quality: export DEBUG := 1
search-quality: install
	@db="$$(mktemp -d)/quality.sqlite3"; export DATABASE_URL="sqlite:///$$db"; \
	$(MANAGE) migrate --verbosity 0 && \
	$(MANAGE) load_reference_data > /dev/null && \
	$(MANAGE) seed_demo --agreements $(DEMO_AGREEMENTS) --seed 2021 > /dev/null && \
	$(MANAGE) reindex > /dev/null && \
	$(BIN)/python bench/search_quality.py; status=$$?; rm -rf "$$(dirname "$$db")"; exit $$status

# A copy of the database DATABASE_URL names, into backups/ (see README "Backups").
backup: install
	$(MANAGE) backup

# Replace everything in that database with a backup: make restore FILE=backups/…
# (asks first; YES=1 does not).
restore: install
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/usjp-….dump"; exit 2; }
	$(MANAGE) restore "$(FILE)" $(if $(YES),--yes)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
