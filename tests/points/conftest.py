"""Fixtures of the points tests; the world and its fixtures are in tests/support (points_world.py,
points_fixtures.py)."""

import pytest

from tests.support.points_api import Api


@pytest.fixture
def api(client):
    return Api(client)
