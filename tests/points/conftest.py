"""Fixtures of the points tests; the world itself is built in tests/support/points_world.py."""

import pytest

from tests.support.clock import travel  # noqa: F401  (still imported from here by some tests)
from tests.support.points_world import (  # noqa: F401  (still imported from here by some tests)
    RULES,
    Ledger,
    actions,
    balance,
    build_catalogue,
    build_store,
    build_world,
    history_statuses,
    last_month_day,
    photo,
    posted_sum,
    published_resolution,
    reload,
)


@pytest.fixture
def points_world(db):
    """The points world (tests/support/points_world.py): 东毛铺村, catalogue, store, people."""
    return build_world()


@pytest.fixture
def pw(points_world):  # alias until the rename script runs
    return points_world


@pytest.fixture
def ledger(points_world):
    """Drives entries through record → review → publish → close for the points world."""
    return Ledger(points_world)
