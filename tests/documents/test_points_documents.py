"""The points papers: a household's passbook (积分存折), the monthly publication list, the welfare
allocation list, the household card — Chinese text present with the bundled font, small PDFs,
who may print what, the admin's buttons, the villager's link and the API. Every household's
passbook in the background: test_passbook_batch.py."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from points import documents as print_
from points import selectors as points_selectors
from points import services
from points.cards import card_household, card_url
from tests.support.points_api import Api
from tests.support.points_world import balance
from village.documents import FONT
from village.models import Document, DocumentKind


def data_of(doc: Document) -> bytes:
    with doc.file.open("rb") as f:
        return f.read()


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    """Text with line breaks taken out (a long name may wrap in a narrow column)."""
    return text.replace("\n", "")


def pages_of(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def head(household) -> str:
    household.refresh_from_db()
    return household.head.name


# --- the passbook --------------------------------------------------------------------------------


def test_statement_has_village_head_entries_balance_and_verification(points_world, year_of_h1):
    doc = print_.statement(points_world.resident, points_world.h[1], year_of_h1)
    assert doc.kind == DocumentKind.POINTS_STATEMENT and doc.village == points_world.village
    assert doc.subject_id == str(points_world.h[1].pk)
    data = data_of(doc)
    text = text_of(data)
    assert points_world.village.name in text
    assert head(points_world.h[1]) in text and points_world.h[1].number in text
    assert f"/verify/{doc.code}/" in text
    assert "户积分存折" in text and "庭院整洁" in text and "兑换 洗衣粉" in text
    assert doc.pages == 1 and pages_of(data) == 1
    assert doc.size < FONT.stat().st_size * 0.05, doc.size
    assert points_world.h[2].number not in text  # nobody else's household


def test_a_full_page_statement_stays_small(points_world, ledger, year):
    """A busy year (every rule, the store, a reversal) still fits one page, and the font is
    embedded as a subset: the PDF stays under 5 % of the font file."""
    ledger.open_year(base=100, year=year)
    codes = ["HJ01"] * 8 + ["HJ02"] * 4 + ["ZY01"] * 2 + ["FL01"]
    entries = ledger.post(*[(points_world.h[1], code) for code in codes])
    services.entry_reverse(actor=points_world.secretary, entry=entries[0], reason="记错了户")
    for _ in range(3):
        services.redeem(
            actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
        )
    doc = print_.statement(points_world.secretary, points_world.h[1], year)
    data = data_of(doc)
    assert len(print_.statement_of(points_world.h[1], year).lines) == 20
    assert doc.pages == 1 and pages_of(data) == 1
    assert doc.size < FONT.stat().st_size * 0.05, doc.size
    assert "冲正：记错了户" in text_of(data)


def test_statement_running_balance_ends_at_the_balance(points_world, year_of_h1):
    s = print_.statement_of(points_world.h[1], year_of_h1)
    assert s.carried == 0
    # In the order posted: the store's debit at once, the month's entries when its window ended.
    assert [line.points for line in s.lines] == [100, -10, 5, -3]
    assert [line.balance for line in s.lines] == [100, 90, 95, 92]
    assert s.closing == s.balance == balance(points_world.h[1]) == 92
    assert s.score == 102  # the store does not lower the year's score
    assert (s.earned, s.deducted, s.spent) == (105, 3, 10)
    assert s.score == points_selectors.year_scores_of(points_world.h[1], year_of_h1)


def test_statement_carries_last_year_and_a_reset(points_world, ledger, year):
    ledger.open_year(base=100, carry_over="carry", year=year - 1)
    ledger.open_year(base=100, carry_over="reset", year=year)
    s = print_.statement_of(points_world.h[1], year)
    assert s.carried == 100
    assert [(line.points, line.balance) for line in s.lines] == [(-100, 0), (100, 100)]
    assert s.closing == balance(points_world.h[1]) == 100
    empty = print_.statement_of(points_world.h[1], year - 5)
    assert empty.lines == [] and empty.closing == 0


def test_who_may_print_a_statement(points_world, year_of_h1):
    # The household's own members and those who see the village's points.
    for user in (
        points_world.resident,
        points_world.officer,
        points_world.secretary,
        points_world.inspector,
    ):
        assert print_.statement(user, points_world.h[1], year_of_h1).pk
    # A neighbour, an outsider, another village's secretary: refused, nothing issued.
    before = Document.objects.count()
    for user in (
        points_world.neighbour,
        points_world.outsider,
        points_world.foreign.secretary,
        points_world.foreign.resident,
    ):
        with pytest.raises(PermissionDenied):
            print_.statement(user, points_world.h[1], year_of_h1)
    assert Document.objects.count() == before
    with pytest.raises(ValidationError):
        print_.statement(points_world.resident, points_world.h[1], 1999)


def test_villager_downloads_only_the_own_statement(points_world, year_of_h1, as_user):
    client = as_user(points_world.resident)
    home = client.get(reverse("points:home")).content.decode()
    assert reverse("points:statement") in home and "下载积分存折" in home
    response = client.get(reverse("points:statement"), {"year": year_of_h1})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert points_world.h[1].number in text and points_world.h[2].number not in text
    # There is no way to name another household on the villager's side …
    response = client.get(reverse("points:statement"), {"household": points_world.h[2].pk})
    assert points_world.h[2].number not in text_of(response.content)
    # … and the admin's print button refuses a villager (no admin access).
    url = reverse("points_admin_statement_print", args=[points_world.h[2].pk])
    assert client.post(url, {"year": year_of_h1}).status_code in (302, 403)
    # Someone with no household gets a 403, and a bad year a message.
    assert as_user(points_world.outsider).get(reverse("points:statement")).status_code == 403
    response = as_user(points_world.resident).get(
        reverse("points:statement"), {"year": "1999"}, follow=True
    )
    assert "年度须在" in response.content.decode()


def test_api_statement_is_the_callers_household(points_world, year_of_h1, client):
    api = Api(client)
    response = api.get("/statement.pdf", points_world.resident)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf"
    doc = Document.objects.get(code=response["X-Document-Code"])
    assert doc.subject_id == str(points_world.h[1].pk)
    text = text_of(response.content)
    assert head(points_world.h[1]) in text and f"/verify/{doc.code}/" in text
    # Naming another household is not possible: the parameter is not part of the endpoint.
    other = api.get(
        "/statement.pdf", points_world.resident, household=points_world.h[2].number, year=year_of_h1
    )
    assert other.status_code == 200
    assert Document.objects.get(code=other["X-Document-Code"]).subject_id == str(
        points_world.h[1].pk
    )
    # The neighbour gets their own.
    mine = api.get("/statement.pdf", points_world.neighbour)
    assert Document.objects.get(code=mine["X-Document-Code"]).subject_id == str(
        points_world.h[2].pk
    )
    # No household: 403 JSON; a bad year: 400 JSON; no token: 401.
    refused = api.get("/statement.pdf", points_world.outsider)
    assert refused.status_code == 403 and refused.json()["message"]
    bad = api.get("/statement.pdf", points_world.resident, year=1999)
    assert bad.status_code == 400 and "年度" in bad.json()["message"]
    assert api.get("/statement.pdf", None).status_code == 401
    schema = client.get("/api/v1/openapi.json").json()
    assert "application/pdf" in str(schema["paths"]["/api/v1/points/statement.pdf"])


# --- lists and the card --------------------------------------------------------------------------


def test_publication_list(points_world, ledger):
    _entries, publication = ledger.published(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ02")
    )
    doc = print_.publication_list(points_world.secretary, publication)
    assert doc.kind == DocumentKind.POINTS_LIST
    text = text_of(data_of(doc))
    assert points_world.village.name in text and str(publication) in text
    assert points_world.h[1].number in text and points_world.h[2].number in text
    assert head(points_world.h[1]) in flat(text)
    assert "+5" in text and "-3" in text and "公示期内" in text
    assert f"/verify/{doc.code}/" in text
    with pytest.raises(PermissionDenied):
        print_.publication_list(points_world.resident, publication)
    with pytest.raises(PermissionDenied):
        print_.publication_list(points_world.foreign.secretary, publication)


def test_allocation_list_sums_to_the_pool(points_world, ledger, year):
    ledger.open_year(base=100, year=year)
    ledger.post(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ01"), (points_world.h[3], "ZY01")
    )
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        title="年终积分奖励",
        pool_fen=50001,
    )
    doc = print_.allocation_list(points_world.committee, allocation)
    assert doc.kind == DocumentKind.ALLOCATION
    text = text_of(data_of(doc))
    assert points_world.village.name in text and "年终积分奖励" in text
    assert "500.01" in text and "伍佰元零壹分" in text and "与分配总额一致" in text
    amounts = [s.yuan for s in allocation.shares.all()]
    assert sum(s.amount_fen for s in allocation.shares.all()) == 50001
    assert all(a in text for a in amounts)
    assert f"/verify/{doc.code}/" in text
    with pytest.raises(PermissionDenied):
        print_.allocation_list(points_world.resident, allocation)


def test_household_card(points_world):
    doc = print_.household_card(points_world.keeper, points_world.h[1])
    assert doc.kind == DocumentKind.HOUSEHOLD_CARD and doc.pages == 1
    data = data_of(doc)
    text = text_of(data)
    assert "户积分卡" in text and points_world.village.name in text
    assert points_world.h[1].number in text and head(points_world.h[1]) in text
    assert f"/verify/{doc.code}/" in text
    assert doc.size < FONT.stat().st_size * 0.05, doc.size
    url = card_url(points_world.h[1])
    assert url.startswith("http") and "/points/card/" in url
    assert card_household(url.rstrip("/").rsplit("/", 1)[1]) == points_world.h[1]
    with pytest.raises(PermissionDenied):
        print_.household_card(points_world.resident, points_world.h[1])


# The capital amounts (大写金额) are tested with the rest of money in tests/village/test_money.py.


# --- the admin's buttons -------------------------------------------------------------------------


def test_admin_print_buttons_give_pdfs_to_staff(points_world, ledger, as_user, year):
    ledger.open_year(base=100, year=year)
    [_entry], publication = ledger.published((points_world.h[1], "HJ01"))
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        title="年终奖励",
        pool_fen=999,
    )
    client = as_user(points_world.secretary)
    pages = {
        reverse("points_admin_publications"): reverse(
            "points_admin_publication_print", args=[publication.pk]
        ),
        reverse("points_admin_welfare"): reverse(
            "points_admin_allocation_print", args=[allocation.pk]
        ),
        reverse("points_admin_ledger")
        + f"?household={points_world.h[1].number}&year={year}": reverse(
            "points_admin_statement_print", args=[points_world.h[1].pk]
        ),
        reverse("points_admin_counter") + f"?household={points_world.h[1].number}": reverse(
            "points_admin_card_print", args=[points_world.h[1].pk]
        ),
    }
    for page, button in pages.items():
        html = client.get(page).content.decode()
        assert f'action="{button}"' in html, page
        response = client.post(button, {"year": year})
        assert response.status_code == 200, button
        assert response["Content-Type"] == "application/pdf"
        assert points_world.village.name in text_of(response.content)
    ledger_page = client.get(
        reverse("points_admin_ledger"), {"household": points_world.h[1].number}
    )
    assert (
        reverse("points_admin_card_print", args=[points_world.h[1].pk])
        in ledger_page.content.decode()
    )
    # A GET prints nothing (issuing registers a document).
    assert client.get(pages[reverse("points_admin_publications")]).status_code == 405
    # A bad year on the statement: a message, no document.
    before = Document.objects.count()
    statement_url = reverse("points_admin_statement_print", args=[points_world.h[1].pk])
    response = client.post(statement_url, {"year": "abc"}, follow=True)
    assert "年度须为整数" in response.content.decode()
    assert Document.objects.count() == before


def test_admin_print_buttons_refuse_villagers_and_other_villages(
    points_world, ledger, as_user, year
):
    ledger.open_year(base=100, year=year)
    [_entry], publication = ledger.published((points_world.h[1], "HJ01"))
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        title="年终奖励",
        pool_fen=999,
    )
    urls = [
        reverse("points_admin_publication_print", args=[publication.pk]),
        reverse("points_admin_allocation_print", args=[allocation.pk]),
        reverse("points_admin_statement_print", args=[points_world.h[1].pk]),
        reverse("points_admin_card_print", args=[points_world.h[1].pk]),
    ]
    for url in urls:
        assert as_user(points_world.resident).post(url, {"year": year}).status_code in (302, 403), (
            url
        )
        assert (
            as_user(points_world.foreign.secretary).post(url, {"year": year}).status_code == 404
        ), url
    assert not Document.objects.exists()
