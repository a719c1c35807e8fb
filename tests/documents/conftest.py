"""Documents are rendered with the bundled font only: the tests check the text extracted from
each PDF (pypdf), so they would fail on a machine where Chinese came out blank."""

import pytest

from points import services
from tests.support.documents import pdf_text


@pytest.fixture
def text_of():
    """`pdf_text`, for tests that take it as a fixture."""
    return pdf_text


# The year the points papers are printed from (test_points_documents.py, test_passbook_batch.py);
# the points world is tests/support/points_fixtures.py's.


@pytest.fixture
def year(points_world):
    return points_world.day.year


@pytest.fixture
def year_of_h1(points_world, ledger, year):
    """h1: base 100, +5 (HJ01), −3 (HJ02), then 10 spent at the store; h2: base 100, +5."""
    ledger.open_year(base=100, year=year)
    ledger.post(
        (points_world.h[1], "HJ01"), (points_world.h[1], "HJ02"), (points_world.h[2], "HJ01")
    )
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
    )
    return year
