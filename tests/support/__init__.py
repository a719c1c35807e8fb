"""What the tests share, imported by name (conftest files hold fixtures only).

- ``database``: the flush that empties the database past the append-only triggers;
- ``clock``: ``travel(when)``, the one way a test moves the clock;
- ``concurrency``: writers started together on threads, PostgreSQL-only guards;
- ``documents``: the text of a printed PDF;
- ``browser``: Chromium settings and what a person does in any journey (log in, fit a phone);
- worlds, each a builder a fixture calls: ``points_world`` (the points ledger's village),
  ``deliberation_world`` (the procedure driver and a small village for the browser),
  ``site_world`` (the village site with its notices), ``role_world`` (the points world with a
  site, for the role homes) and ``township_world`` (the township of the village app's
  tests, built once per module by the fixtures ``shared_township_pks`` and
  ``shared_township`` of tests/village/conftest.py).
"""
