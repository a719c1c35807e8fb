"""Fixtures of the points world, for every test folder (a plugin of tests/conftest.py); the
world itself is built in tests/support/points_world.py."""

import pytest

from tests.support.points_world import Ledger, build_world


@pytest.fixture
def points_world(db):
    """The points world (tests/support/points_world.py): 东毛铺村, catalogue, store, people."""
    return build_world()


@pytest.fixture
def ledger(points_world):
    """Drives entries through record → review → publish → close for the points world."""
    return Ledger(points_world)


@pytest.fixture
def as_user(client):
    """Logs the test client in as a user and returns it."""

    def login(user):
        client.force_login(user)
        return client

    return login
