# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint check demo clean serve

$(STAMP): requirements.txt requirements-dev.txt
	@# WeasyPrint (the PDF documents) needs Pango from the system; Debian: install it if missing.
	@ldconfig -p | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "Install Pango for PDF documents: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; fi; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

## make run: install, migrate, load the demo village, serve on http://127.0.0.1:8000 (SQLite)
run: setup
	$(PY) manage.py migrate --noinput
	@# Ends with the address, the admin and the demo logins (also when already loaded).
	$(PY) manage.py load_demo
	@# The task worker (search index, batch documents) runs beside the web server; its log goes
	@# to var/tasks.log, the console shows only its warnings (village/settings/dev.py).
	$(PY) manage.py db_worker & WORKER=$$!; trap 'kill $$WORKER' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: lint, checks, and the whole suite (browser tests included)
test: setup lint check
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=village.settings.production DJANGO_SECRET_KEY=check-deploy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz DJANGO_ALLOWED_HOSTS=cunzhi.example.cn CUNZHI_AUDIT_KEY=check-deploy-audit-key-0123456789abcdefghijklmnop $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 static
