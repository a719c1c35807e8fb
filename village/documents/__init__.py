"""Sealed Chinese PDFs anyone can verify: one renderer (WeasyPrint, the bundled CJK font, shared
print styles), the village's electronic seal, a QR code to /verify/<code>/, and the register of
issued documents (kind, subject, issuer, time, SHA-256, code) — an issued document is never
changed; printing the same content again returns it; a deliberate re-issue (with a reason) is
a new document that names the one it replaces.

Apps build their documents with `issue(...)` and a template extending "documents/base.html".
"""

import functools
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import audit
from ..models import Document, Village
from ..permissions import user_of
from .seal import seal_for

FONT = Path(__file__).resolve().parent / "fonts" / "WenQuanYiMicroHei-subset.ttf"
# No 0/O, 1/I/L: a code read aloud or copied by hand from paper cannot be confused.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessable


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


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


def html_of(template: str, context: dict) -> str:
    """The document's HTML, in Chinese whatever language the person printing reads the screens
    in (labels and choices given lazily resolve here too)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(template, {"font_url": FONT.as_uri(), **context})


_fonts = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, reused by every render: a new one per
    document loads the system's fonts again and leaves about 0.3 MB behind each time (a batch
    of passbooks grew by 120 MB per 320 pages); the bundled font is added to it once (WeasyPrint
    skips a @font-face it already holds). Not shared across threads: Pango's font map is not
    thread-safe."""
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return _fonts.config


def render(template: str, context: dict, *, html: str | None = None) -> Rendered:
    """HTML template → PDF bytes with the bundled font only (from `html` when already made)."""
    from weasyprint import HTML

    if html is None:
        html = html_of(template, context)
    fonts = _font_config()
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=fonts)
    return Rendered(document.write_pdf(), len(document.pages))


ISSUE_BLOCK = re.compile(r"<!--issue-->.*?<!--/issue-->", re.DOTALL)


def content_fingerprint(html: str, *, blanks: list[str]) -> str:
    """SHA-256 of what a document says: its HTML without the issue block (seal, QR code, code,
    issuer, time, the chain's head — documents/base.html marks it) and without this issue's
    code, address and QR code wherever else they are printed. Two prints of the same content
    have the same fingerprint."""
    html = ISSUE_BLOCK.sub("", html)
    for blank in blanks:
        if blank:
            html = html.replace(blank, "")
    return hashlib.sha256(html.encode()).hexdigest()


def current(*, village: Village, kind: str, subject, content_sha256: str | None = None):
    """The latest issued document of this kind and subject not replaced by a re-issue
    (of this content, when given)."""
    documents = Document.objects.filter(
        village=village,
        kind=kind,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        superseded_by__isnull=True,
    )
    if content_sha256 is not None:
        documents = documents.filter(content_sha256=content_sha256)
    return documents.order_by("-issued_at", "-id").first()


def issue(
    *,
    actor,
    village: Village,
    kind: str,
    title: str,
    subject,
    template: str,
    context: dict,
    reissue_reason: str | None = None,
) -> Document:
    """The document of this content: the one already issued (a second print of the same
    content returns it, with no new code and no new chain event), else render, fingerprint,
    store and register a new one and record it in the audit chain.

    With `reissue_reason` (a deliberate 重新签发) a new document is issued whatever the content,
    naming the current one of the same kind and subject it replaces; /verify/ then shows the
    old code as replaced by the new one, with the reason."""
    title = title[:200]
    replaced = None
    if reissue_reason is not None:
        reissue_reason = reissue_reason.strip()
        if not reissue_reason:
            raise ValidationError(_("重新签发须写明原因。"))
        replaced = current(village=village, kind=kind, subject=subject)
        if replaced is None:
            raise ValidationError(_("这份文书还没有签发过，直接打印即可。"))
    code = new_code()
    now = timezone.now()
    user = user_of(actor)  # the system (SYSTEM, or a batch nobody requested) issues as 系统
    issuer = user.get_full_name() or user.get_username() if user is not None else "系统"
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
    qr = qr_data_uri(facts["url"])
    full = {**context, "village": village, "document": facts, "seal": seal_for(village), "qr": qr}
    html = html_of(template, full)
    content = content_fingerprint(html, blanks=[facts["url"], code, qr, FONT.as_uri()])
    if replaced is None:
        existing = current(village=village, kind=kind, subject=subject, content_sha256=content)
        if existing is not None:
            # The same content printed again: the document already issued, no new code.
            return existing
    rendered = render(template, full, html=html)
    document = Document(
        village=village,
        kind=kind,
        title=title,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        code=code,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        size=len(rendered.pdf),
        pages=rendered.pages,
        issued_by=user,
        issued_by_name=issuer[:100],
        issued_at=now,
        audit_seq=facts["audit_seq"],
        audit_hash=facts["audit_head"],
        content_sha256=content,
        supersedes=replaced,
        reissue_reason=reissue_reason or "",
    )
    document.file.save(f"{code}.pdf", ContentFile(rendered.pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
            payload = {
                "kind": kind,
                "title": title,
                "code": code,
                "sha256": document.sha256,
                "content_sha256": content,
                "pages": rendered.pages,
                "subject": f"{document.subject_type}:{document.subject_id}",
                "audit_head": {"seq": facts["audit_seq"], "hash": facts["audit_head"]},
            }
            if replaced is not None:
                payload["supersedes"] = replaced.code
                payload["reason"] = reissue_reason
            audit.record(
                actor=actor,
                action="village.document.issue",
                obj=document,
                village=village,
                payload=payload,
            )
    except IntegrityError:
        # Someone printed the same content (or re-issued the same document) at the same moment.
        document.file.delete(save=False)
        if replaced is not None:
            raise ValidationError(
                _("这份文书刚刚已被重新签发（新验证码见验证页面），请刷新后再试。")
            ) from None
        winner = current(village=village, kind=kind, subject=subject, content_sha256=content)
        if winner is None:
            raise
        return winner
    return document


def find(code: str) -> Document | None:
    code = normalise(code)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return (
        Document.objects.select_related("village__township", "supersedes", "superseded_by")
        .filter(code=code)
        .first()
    )


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
