"""The resolution: Chinese text present, the font embedded as a subset, the register entry,
the verification page, and tampering detected."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from pypdf import PdfReader

from deliberation import documents as print_
from village.documents import FONT, find, normalise
from village.models import AuditEvent, Document


def resolved(procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    return matter


def test_resolution_has_chinese_text_seal_and_verification_address(
    deliberation_world, procedure, text_of
):
    matter = resolved(procedure)
    doc = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    data = doc.file.open("rb").read()
    assert hashlib.sha256(data).hexdigest() == doc.sha256
    text = text_of(data)
    assert deliberation_world.village.name in text
    assert matter.title in text
    assert f"/verify/{doc.code}/" in text
    assert "第 1 页 共" in text
    assert doc.size < FONT.stat().st_size * 0.05, doc.size
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(font.get_object()["/BaseFont"])
    assert any("+" in name for name in fonts), fonts  # a subset tag like ABCDEF+WenQuanYi…
    assert AuditEvent.objects.filter(action="village.document.issue", object_id=str(doc.pk))


def test_verification_page_tells_genuine_from_altered(deliberation_world, procedure, client):
    matter = resolved(procedure)
    doc = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    data = doc.file.open("rb").read()
    url = reverse("village:verify", args=[doc.code.lower()])
    page = client.get(url)
    assert page.status_code == 200
    assert doc.sha256 in page.content.decode() and matter.title in page.content.decode()
    upload = io.BytesIO(data)
    upload.name = "resolution.pdf"
    genuine = client.post(url, {"file": upload}).content.decode()
    assert "是原件" in genuine
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    upload = io.BytesIO(bytes(changed))
    upload.name = "resolution.pdf"
    assert "不是原件" in client.post(url, {"file": upload}).content.decode()


def test_unknown_code_is_a_clear_404(client, db):
    response = client.get(reverse("village:verify", args=["ABCDEFGHJK"]))
    assert response.status_code == 404
    assert "查无此文书" in response.content.decode()
    assert client.get("/verify/0O1I/").status_code == 404


def test_issued_document_is_never_changed(deliberation_world, procedure):
    matter = resolved(procedure)
    doc = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    again = print_.resolution(
        actor=deliberation_world.secretary.user, matter=matter, reissue_reason="换纸"
    )
    assert again.code != doc.code and Document.objects.count() == 2
    assert find(normalise(f" {doc.code[:4].lower()}-{doc.code[4:]} ")).pk == doc.pk
    doc.title = "改过的标题"
    with pytest.raises(ValidationError, match="不能修改"):
        doc.save()
    with pytest.raises(ValidationError):
        doc.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=doc.pk).update(title="改过的标题")
    assert Document.objects.get(pk=doc.pk).title != "改过的标题"
