"""Reading the documents the app prints: the text a reader would copy out of a PDF."""

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as a reader's copy-paste would give it."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
