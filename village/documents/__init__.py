"""Sealed Chinese PDFs anyone can verify: one renderer (WeasyPrint, the bundled CJK font, shared
print styles), the village's electronic seal, a QR code to /verify/<code>/, and the register of
issued documents (kind, subject, issuer, time, SHA-256, code) — an issued document is never
changed; a new issue is a new document.

Apps build their documents with `issue(...)` and a template extending "documents/base.html".
"""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .. import audit
from ..models import Document, Village
from .seal import seal_for

FONT = Path(__file__).resolve().parent / "fonts" / "WenQuanYiMicroHei-subset.ttf"
# No 0/O, 1/I/L: a code read aloud or copied by hand from paper cannot be confused.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessable


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """Case-insensitive; spaces and dashes a reader types are ignored."""
    return "".join(c for c in (code or "").upper() if c not in " -")


def verify_url(code: str) -> str:
    return f"{settings.CUNZHI_PUBLIC_URL.rstrip('/')}/verify/{code}/"


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=4, border=0)


def in_chinese(build):
    """Sealed documents are Chinese whatever language the person printing reads the screens in:
    a document function so decorated makes its title, labels and choices in the site's language
    (zh-hans). `render` does the same for what reaches the template."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int


def render(template: str, context: dict) -> Rendered:
    """HTML template → PDF bytes with the bundled font only."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    # Sealed documents are Chinese whatever language the person printing reads the screens in
    # (labels and choices given lazily resolve here too).
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, {"font_url": FONT.as_uri(), **context})
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=fonts)
    return Rendered(document.write_pdf(), len(document.pages))


def issue(
    *,
    actor,
    village: Village,
    kind: str,
    title: str,
    subject,
    template: str,
    context: dict,
) -> Document:
    """Render, fingerprint, store and register one document; record it in the audit chain."""
    code = new_code()
    now = timezone.now()
    issuer = actor.get_full_name() or actor.get_username() if actor is not None else "系统"
    head = audit.head_of(village)
    facts = {
        "code": code,
        "url": verify_url(code),
        "title": title,
        "kind": kind,
        "issued_at": now,
        "issuer": issuer,
        "audit_head": head.hash if head else audit.GENESIS,
        "audit_seq": head.seq if head else 0,
    }
    rendered = render(
        template,
        {
            **context,
            "village": village,
            "document": facts,
            "seal": seal_for(village),
            "qr": qr_data_uri(facts["url"]),
        },
    )
    document = Document(
        village=village,
        kind=kind,
        title=title[:200],
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        code=code,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        size=len(rendered.pdf),
        pages=rendered.pages,
        issued_by=actor,
        issued_by_name=issuer[:100],
        issued_at=now,
        audit_seq=facts["audit_seq"],
        audit_hash=facts["audit_head"],
    )
    document.file.save(f"{code}.pdf", ContentFile(rendered.pdf), save=False)
    document.save()
    audit.record(
        actor=actor,
        action="village.document.issue",
        obj=document,
        village=village,
        payload={
            "kind": kind,
            "title": title,
            "code": code,
            "sha256": document.sha256,
            "pages": rendered.pages,
            "subject": f"{document.subject_type}:{document.subject_id}",
            "audit_head": {"seq": facts["audit_seq"], "hash": facts["audit_head"]},
        },
    )
    return document


def find(code: str) -> Document | None:
    code = normalise(code)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return Document.objects.select_related("village__township").filter(code=code).first()


def is_genuine(document: Document, data: bytes) -> bool:
    return secrets.compare_digest(hashlib.sha256(data).hexdigest(), document.sha256)


def pdf_bytes(document: Document) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


def response(document: Document, *, inline: bool = True):
    """The issued PDF as an HTTP response (the stored bytes, never a fresh rendering)."""
    from urllib.parse import quote

    from django.http import HttpResponse

    http = HttpResponse(pdf_bytes(document), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    name = quote(f"{document.title}-{document.code}.pdf")
    http["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{name}"
    http["X-Document-Code"] = document.code
    return http
