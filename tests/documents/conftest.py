"""Documents are rendered with the bundled font only: the tests check the text extracted from
each PDF (pypdf), so they would fail on a machine where Chinese came out blank."""

import pytest

from tests.support.documents import pdf_text


@pytest.fixture
def text_of():
    """`pdf_text`, for tests that take it as a fixture."""
    return pdf_text
