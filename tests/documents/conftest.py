"""Documents are rendered with the bundled font only: the tests check the text extracted from
each PDF (pypdf), so they would fail on a machine where Chinese came out blank."""

import io

import pytest
from pypdf import PdfReader

from tests.deliberation.conftest import (  # noqa: F401  (fixtures shared with deliberation)
    Procedure,
    foreign,
    inspector,
    people,
    proc,
    world,
)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def text_of():
    return pdf_text
