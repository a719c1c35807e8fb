"""Fixtures of the village site, for every test folder (a plugin of tests/conftest.py); the site
itself is built in tests/support/site_world.py."""

import pytest

from tests.support.role_world import build_role_world
from tests.support.site_world import build_site_world


@pytest.fixture
def site_world(db):
    """东毛铺村's site with its notices and the neighbouring 西河村 (support/site_world.py)."""
    return build_site_world()


@pytest.fixture
def role_world(db):
    """The points world with a village site and two notices (tests/support/role_world.py)."""
    return build_role_world()
