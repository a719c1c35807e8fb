"""The demo's simulated clock: the apps' demo stories run their services as if it were the day
each event happened, so every record, publication window and audit event carries that date."""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock


@contextmanager
def clock(at: datetime):
    """Run services as if it were `at` (the demo's events happened in the past)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield
