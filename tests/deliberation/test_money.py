"""A matter's estimated amount is typed in 元 and shown in 元 — on the admin form and page, the
villagers' page, the resolution PDF, the listing's Excel export and the API — and stored in 分."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from deliberation import documents as print_
from deliberation.models import BallotMode, Category, DecidingBody, Matter, Origin
from tests.factories import PASSWORD

# (typed, stored in 分, shown)
AMOUNTS = [
    ("0.01", 1, "0.01 元"),
    ("1234.5", 123_450, "1,234.50 元"),
    ("80000", 8_000_000, "80,000.00 元"),
]


def form_data(deliberation_world, amount):
    return {
        "village": deliberation_world.village.pk,
        "title": "村道硬化工程",
        "body": "硬化东片区村道1.2公里。",
        "category": Category.choices[0][0],
        "origin": Origin.choices[0][0],
        "estimated_amount_fen": amount,
        "deciding_body": DecidingBody.REPRESENTATIVES_MEETING,
        "ballot_mode": BallotMode.OPEN,
    }


@pytest.fixture
def secretary(client, deliberation_world):
    client.force_login(deliberation_world.secretary.user)
    return client


def test_the_form_asks_for_yuan(secretary):
    page = secretary.get(reverse("matter:add")).content.decode()
    assert "预计金额（元）" in page and 'inputmode="decimal"' in page
    assert "以分为单位" not in page


@pytest.mark.parametrize(("typed", "fen", "shown"), AMOUNTS)
def test_an_amount_typed_in_yuan_is_stored_in_fen_and_shown_in_yuan(
    secretary, deliberation_world, typed, fen, shown
):
    response = secretary.post(reverse("matter:add"), form_data(deliberation_world, typed))
    assert response.status_code == 302, response.content.decode()[:2000]
    matter = Matter.objects.get()
    assert matter.estimated_amount_fen == fen
    page = secretary.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    assert f'data-testid="amount">{shown}<' in page
    assert "分</" not in page.split('data-testid="amount">', 1)[1][:40]


def test_the_inspect_view_shows_yuan(secretary, procedure):
    matter = procedure.create(estimated_amount_fen=8_000_000)
    page = secretary.get(reverse("matter:inspect", args=[matter.pk])).content.decode()
    assert "80,000.00 元" in page and "8000000" not in page and "预计金额（分）" not in page


def test_the_amount_may_be_left_empty(secretary, deliberation_world):
    response = secretary.post(reverse("matter:add"), form_data(deliberation_world, ""))
    assert response.status_code == 302
    assert Matter.objects.get().estimated_amount_fen is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1234.567", "金额最多两位小数"),
        ("-100", "金额不能为负数"),
        ("八万元", "请填写以元为单位的金额"),
    ],
)
def test_a_wrong_amount_is_refused_and_nothing_written(
    secretary, deliberation_world, typed, message
):
    response = secretary.post(reverse("matter:add"), form_data(deliberation_world, typed))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'value="{typed}"' in page  # what was typed stays, to be corrected
    assert not Matter.objects.exists()


@pytest.mark.parametrize(("typed", "fen", "shown"), AMOUNTS)
def test_villagers_see_the_amount_in_yuan(client, procedure, people, typed, fen, shown):
    matter = procedure.to_vote(estimated_amount_fen=fen)
    client.force_login(people["r1"].user)
    page = client.get(reverse("deliberation:matter", args=[matter.pk])).content.decode()
    assert f'data-testid="amount">{shown}<' in page


@pytest.mark.parametrize(("typed", "fen", "shown"), AMOUNTS)
def test_the_resolution_pdf_gives_the_amount_in_yuan_and_in_capitals(
    deliberation_world, procedure, typed, fen, shown
):
    matter = procedure.to_vote(estimated_amount_fen=fen)
    procedure.resolve(matter)
    doc = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    with doc.file.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    text = "".join(page.extract_text() or "" for page in reader.pages).replace("\n", "")
    capitals = {1: "壹分", 123_450: "壹仟贰佰叁拾肆元伍角整", 8_000_000: "捌万元整"}[fen]
    assert f"预计金额：{shown}" in text and capitals in text


def test_the_listing_exports_amounts_in_yuan_to_excel(secretary, procedure):
    for _typed, fen, _shown in AMOUNTS:
        procedure.create(title=f"事项{fen}", estimated_amount_fen=fen)
    procedure.create(title="无金额事项")
    response = secretary.get(reverse("matter:index"), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    column = header.index("预计金额（元）")
    cells = {r[header.index("议题")].value: r[column] for r in rows[1:]}
    assert cells["事项1"].value == pytest.approx(0.01)
    assert cells["事项123450"].value == pytest.approx(1234.5)
    assert cells["事项8000000"].value == 80000
    assert {cells[f"事项{fen}"].number_format for _t, fen, _s in AMOUNTS} == {"#,##0.00"}
    assert cells["无金额事项"].value in (None, "")


def test_the_api_gives_fen_and_yuan(client, procedure, people):
    matter = procedure.to_vote(estimated_amount_fen=123_450)
    other = procedure.to_vote(title="无金额事项")
    token = client.post(
        "/api/v1/auth/token",
        {"username": people["r1"].user.username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get(f"/api/v1/matters/{matter.pk}", **auth).json()
    assert body["estimated_amount_fen"] == 123_450
    assert body["estimated_amount_yuan"] == "1234.50"
    body = client.get(f"/api/v1/matters/{other.pk}", **auth).json()
    assert body["estimated_amount_fen"] is None and body["estimated_amount_yuan"] is None
