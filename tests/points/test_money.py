"""A welfare allocation's pool and cap are typed in 元 and every amount of it is shown in 元 —
on the admin's welfare screen, the villagers' page, the PDF list and the Excel export — while
stored in 分."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from points import documents as print_
from points import selectors, terms
from points.models import Allocation
from tests.support.points_world import resolution_for

# (typed, stored in 分, shown)
AMOUNTS = [
    ("0.01", 1, "0.01 元"),
    ("1234.5", 123_450, "1,234.50 元"),
    ("80000", 8_000_000, "80,000.00 元"),
]


@pytest.fixture
def secretary(client, points_world, ledger):
    ledger.open_year(base=100, year=points_world.day.year)  # five households, 100 points each
    client.force_login(points_world.secretary)
    return client


def allocate(client, points_world, pool, cap=""):
    return client.post(
        reverse("points_admin_welfare"),
        {
            "action": "allocate",
            "village": points_world.village.pk,
            "year": points_world.day.year,
            "title": "年终积分奖励",
            "pool": pool,
            "floor": "0",
            "cap": cap,
        },
        follow=True,
    )


@pytest.mark.parametrize(("typed", "fen", "shown"), AMOUNTS)
def test_the_pool_is_typed_in_yuan_and_shown_in_yuan_everywhere(
    client, secretary, points_world, typed, fen, shown
):
    allocate(secretary, points_world, typed)
    allocation = Allocation.objects.get()
    assert allocation.pool_fen == fen
    assert sum(s.amount_fen for s in allocation.shares.all()) == fen
    figure = shown.removesuffix(" 元")
    welfare = secretary.get(reverse("points_admin_welfare")).content.decode()
    assert f"<td>{figure}</td>" in welfare  # under the heading 总额（元）
    # The PDF list: the pool in 元 and in capitals.
    doc = print_.allocation_list(points_world.committee, allocation)
    with doc.file.open("rb") as f:
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(f.read())).pages)
    assert f"{shown}（人民币" in text.replace("\n", "")
    # The Excel export: numbers in 元, shown with two decimals.
    export = secretary.get(reverse("points_admin_allocation_xlsx", args=[allocation.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.cell(1, 6).value == "金额（元）"
    total = sheet.cell(sheet.max_row, 6)
    assert total.value == pytest.approx(fen / 100) and total.number_format == "#,##0.00"
    assert sum(sheet.cell(r, 6).value for r in range(2, sheet.max_row)) == pytest.approx(fen / 100)
    # The villagers' page, once published.
    publish_by_form(secretary, allocation)
    client.force_login(points_world.resident)
    page = client.get(reverse("points:allocation", args=[allocation.pk])).content.decode()
    assert f'data-testid="total">{figure}</strong> 元' in page


def publish_by_form(secretary, allocation):
    """The allocation's page: publish under a settled resolution that quotes its terms."""
    matter = resolution_for(
        allocation.village, terms.ALLOCATION, selectors.allocation_terms(allocation)
    )
    secretary.post(
        reverse("points_admin_allocation", args=[allocation.pk]),
        {"action": "publish", "resolution": matter.pk},
    )
    assert Allocation.objects.get(pk=allocation.pk).published_at is not None


def test_the_cap_is_typed_and_shown_in_yuan(client, secretary, points_world):
    allocate(secretary, points_world, "80000", cap="16000.5")
    allocation = Allocation.objects.get()
    assert allocation.cap_fen == 1_600_050
    publish_by_form(secretary, allocation)
    client.force_login(points_world.resident)
    page = client.get(reverse("points:allocation", args=[allocation.pk])).content.decode()
    assert "每户上限 16,000.50 元" in page
    doc = print_.allocation_list(points_world.committee, allocation)
    with doc.file.open("rb") as f:
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(f.read())).pages)
    assert "16,000.50 元" in text


def test_a_cap_too_low_is_explained_in_yuan(secretary, points_world):
    page = allocate(secretary, points_world, "80000", cap="100").content.decode()
    assert "每户上限过低" in page and "500.00 元" in page and "80,000.00 元" in page
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("pool", "cap", "message"),
    [
        ("1234.567", "", "总额最多两位小数"),
        ("-100", "", "总额不能为负数"),
        ("八万", "", "总额须为金额"),
        ("80000", "0.001", "每户上限最多两位小数"),
        ("80000", "-1", "每户上限不能为负数"),
        ("80000", "abc", "每户上限须为金额"),
    ],
)
def test_a_wrong_amount_is_refused_and_nothing_written(secretary, points_world, pool, cap, message):
    response = allocate(secretary, points_world, pool, cap)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Allocation.objects.exists()
