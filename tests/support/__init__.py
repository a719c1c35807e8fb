"""What the tests share, imported by name (conftest files hold fixtures only).

- ``database``: the flush that empties the database past the append-only triggers;
- ``clock``: ``travel(when)``, the one way a test moves the clock;
- ``concurrency``: writers started together on threads, PostgreSQL-only guards;
- ``documents``: the text of a printed PDF;
- ``browser``: Chromium settings and what a person does in any journey (log in, fit a phone);
- ``structure``: the app modules and their sources, for the structure tests (tests/structure/);
- ``deliberation_trail``: a matter's audit actions, as the procedure tests read them;
- ``points_api`` (the API client of the points tests), ``points_screens`` (a form as a browser
  posts it untouched), ``points_lifecycle`` (the chain and row counts the lifecycle tests read);
- worlds, each a builder a fixture calls: ``points_world`` (the points ledger's village),
  ``deliberation_world`` (the procedure driver and a small village for the browser),
  ``site_world`` (the village site with its notices), ``role_world`` (the points world with a
  site, for the role homes) and ``township_world`` (the township of the village app's
  tests, built once per module by the fixtures ``shared_township_pks`` and
  ``shared_township`` of tests/village/conftest.py).
"""
