import pytest
from django.test import override_settings

from tests.village._production import production_settings


@pytest.fixture
def production():
    """Run the test with production's serving settings (the database stays the test's)."""
    with override_settings(**production_settings()):
        yield
