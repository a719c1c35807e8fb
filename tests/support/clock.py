"""Moving the clock: the services read ``django.utils.timezone.now``."""

from contextlib import contextmanager
from unittest import mock


@contextmanager
def travel(when):
    """Pretend the clock shows `when` (services read django.utils.timezone.now).

    In a browser test, use it only while no page is loading: the live server's thread would see
    the same frozen clock."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield
