"""Fixtures of the deliberation world, for every test folder (a plugin of tests/conftest.py):
the village of ``tests.factories.deliberation_village`` and the driver that runs a matter
through the procedure (tests/support/deliberation_world.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TownshipMembershipFactory, UserFactory, deliberation_village
from tests.support.deliberation_world import Procedure


@pytest.fixture
def deliberation_world(db):
    """东毛铺村 with known bodies (see ``tests.factories.deliberation_village``)."""
    return deliberation_village(name="东毛铺村")


@pytest.fixture
def people(deliberation_world):
    """The villagers of the deliberation world by label ("b1", "r1" …)."""
    return deliberation_world.people


@pytest.fixture
def procedure(deliberation_world):
    """Drives the deliberation world's matters through the services, as the secretary would."""
    return Procedure(deliberation_world)


@pytest.fixture
def neighbour(deliberation_world):
    """Another village of the same township."""
    return deliberation_village(
        township=deliberation_world.village.township, name="西河村", households=3
    )


@pytest.fixture
def foreign(db):
    """A village of another township."""
    return deliberation_village(name="远方村", households=3)


@pytest.fixture
def inspector(deliberation_world):
    """The inspector of the deliberation world's township."""
    return TownshipMembershipFactory(
        township=deliberation_world.village.township,
        role="inspector",
        user=UserFactory(username="inspector"),
        start=timezone.localdate() - timedelta(days=30),
    ).user


@pytest.fixture
def foreign_inspector(foreign):
    """The inspector of the foreign village's township."""
    return TownshipMembershipFactory(
        township=foreign.village.township,
        role="inspector",
        user=UserFactory(username="foreign-inspector"),
        start=timezone.localdate() - timedelta(days=30),
    ).user
