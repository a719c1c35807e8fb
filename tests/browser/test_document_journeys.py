"""Documents in a real browser (issue 6, "Browser test").

The secretary prints the resolution from the matter's admin page (打印决议); the PDF comes to
the browser (headless Chromium downloads a PDF rather than showing it). The verification
address is read from the PDF's own text — the Chinese under the QR code — and opened: the page
names the document and shows its fingerprint. Uploading the PDF there says 是原件; a villager
opening the same address on a phone sees the same facts.
"""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from deliberation import services
from deliberation.models import DecidingBody, Meeting, Step
from tests.support.browser import admin_login, assert_fits_phone
from tests.support.clock import travel
from tests.support.deliberation_world import small_village, to_vote
from tests.support.documents import pdf_text
from village.models import Document, DocumentKind

SHOTS = Path("/tmp/cunzhi-shots2")
TITLE = "2027年村集体土地流转方案"


def resolved_matter():
    village, people = small_village()
    matter = to_vote(
        village, people, title=TITLE, deciding_body=DecidingBody.REPRESENTATIVES_MEETING
    )
    voters = [people[label].pk for label in ("s", "v1", "v2", "r1", "r2", "r3", "r4")]
    services.hall_votes_enter(
        actor=people["s"].user, matter=matter, present=voters, votes=dict.fromkeys(voters, "yes")
    )
    closes = Meeting.objects.get(matter=matter, step=Step.RESOLUTION).vote_closes_at
    with travel(closes + timedelta(minutes=5)):
        services.matter_close_vote(
            actor=people["s"].user, matter=matter, minutes="7 人到会，全部赞成。"
        )
    matter.refresh_from_db()
    return village, people, matter


def as_download(page, url_pattern) -> dict:
    """Let the PDF the server serves inline reach the test as a download.

    This Chromium's headless mode shows a PDF in its built-in viewer (whose own files the
    `new_page` fixture counts as requests to other hosts) instead of downloading it. The
    response is fetched unchanged, kept for the test, and handed to the page with
    `Content-Disposition: attachment`, so the click ends in a download event.
    """
    served: dict = {}

    def handle(route):
        response = route.fetch()
        served.update(status=response.status, headers=response.headers, body=response.body())
        disposition = response.headers.get("content-disposition", "")
        headers = {
            **response.headers,
            "content-disposition": disposition.replace("inline", "attachment", 1),
        }
        route.fulfill(response=response, headers=headers)

    page.route(url_pattern, handle)
    return served


def test_secretary_prints_a_resolution_and_its_address_verifies_it(
    new_page, live_server, settings, tmp_path
):
    # The address printed under the QR code is the site's public address: here, the live server.
    settings.CUNZHI_PUBLIC_URL = live_server.url
    village, _people, matter = resolved_matter()

    page = new_page("desktop")
    admin_login(page, "dongmaopu-s")
    page.goto(f"/admin/matters/{matter.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    button = page.get_by_role("button", name="打印决议")
    expect(button).to_be_visible()
    served = as_download(page, "**/print/resolution/")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    saved = tmp_path / "resolution.pdf"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-")
    assert download.suggested_filename.endswith(".pdf")
    # The server sent it to be shown (and printed) in the browser, exactly these bytes.
    assert served["status"] == 200
    assert served["headers"]["content-type"] == "application/pdf"
    assert served["headers"]["content-disposition"].startswith("inline;")
    assert served["body"] == data

    # What the paper says: village, matter, and the verification address under the QR code.
    text = pdf_text(data)
    assert village.name in text and TITLE in text
    found = re.search(r"验证地址：\s*(\S+/verify/([2-9A-HJKMNP-Z]{10})/)", text)
    assert found, text
    address, code = found.groups()
    assert address == f"{live_server.url}/verify/{code}/"
    document = Document.objects.get(code=code)
    assert document.kind == DocumentKind.RESOLUTION
    assert document.sha256 == hashlib.sha256(data).hexdigest()

    # Whoever holds the paper opens the address: what the document is and its fingerprint.
    page.goto(address)
    facts = page.get_by_test_id("document")
    expect(facts.get_by_role("heading", level=2)).to_have_text(document.title)
    expect(facts).to_contain_text(TITLE)
    expect(facts).to_contain_text("决议")
    expect(facts).to_contain_text(f"{village.township.name}{village.name}")
    expect(page.get_by_test_id("sha256")).to_have_text(document.sha256)

    # The PDF uploaded there is the genuine one.
    page.get_by_label("选择 PDF 文件").set_input_files(str(saved))
    page.get_by_role("button", name="核对").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("是原件")
    expect(page.get_by_test_id("verdict")).not_to_contain_text("不是原件")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "document-verified.png"), full_page=True)

    # One changed byte: not genuine.
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(changed))
    page.get_by_label("选择 PDF 文件").set_input_files(str(altered))
    page.get_by_role("button", name="核对").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("不是原件")

    # A villager scans the QR on the notice board: the same facts, on a phone, no login.
    phone = new_page("phone")
    phone.goto(address.lower())  # the code is read case-insensitively
    expect(phone.get_by_test_id("sha256")).to_have_text(document.sha256)
    expect(phone.get_by_test_id("document")).to_contain_text(document.title)
    assert_fits_phone(phone)
    phone.screenshot(path=str(SHOTS / "document-verified-phone.png"), full_page=True)
    assert timezone.localtime(document.issued_at).date() == timezone.localdate()
