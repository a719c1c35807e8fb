"""`village.settings.production` as it is, except that the static files are collected into a
scratch directory (BENCH_STATIC_ROOT) rather than the checkout's `static/`, so a benchmark can
serve them from the same gunicorn without touching the working tree."""

import os

from village.settings.production import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
