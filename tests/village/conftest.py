import pytest
from django.db import transaction
from django.test import override_settings

from tests.support.township_world import build_township_pks, load_township
from tests.village._production import production_settings


@pytest.fixture
def production():
    """Run the test with production's serving settings (the database stays the test's)."""
    with override_settings(**production_settings()):
        yield


@pytest.fixture(scope="module")
def shared_township_pks(django_db_setup, django_db_blocker):
    """The township world built once for the test module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_township_pks()
        transaction.set_rollback(True)


@pytest.fixture
def shared_township(shared_township_pks, db):
    """The township world (tests/support/township_world.py), freshly loaded for this test."""
    return load_township(shared_township_pks)
