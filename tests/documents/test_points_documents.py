"""The points papers: a household's passbook (积分存折), the monthly publication list, the welfare
allocation list, the household card, and the yearly book of every passbook built in the
background — Chinese text present with the bundled font, small PDFs, who may print what, the
admin's buttons, the villager's link, the API, and the batch with its progress page."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_tasks import task_backends
from pypdf import PdfReader

from points import documents as print_
from points import selectors as points_selectors
from points import services
from points import tasks as points_tasks
from points.cards import card_household, card_url
from tests.support.points_api import Api
from tests.support.points_world import Ledger, balance, build_world
from village.documents import FONT
from village.documents import batch as batch_runner
from village.models import BatchStatus, Document, DocumentBatch, DocumentKind


@pytest.fixture
def points_world(db):
    return build_world()


@pytest.fixture
def ledger(points_world):
    return Ledger(points_world)


@pytest.fixture
def year(points_world):
    return points_world.day.year


@pytest.fixture
def year_of_h1(points_world, ledger, year):
    """h1: base 100, +5 (HJ01), −3 (HJ02), then 10 spent at the store; h2: base 100, +5."""
    ledger.open_year(base=100, year=year)
    ledger.post(
        (points_world.h[1], "HJ01"), (points_world.h[1], "HJ02"), (points_world.h[2], "HJ01")
    )
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
    )
    return year


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


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


# --- every household's passbook in one book ------------------------------------------------------


def test_batch_builds_one_book_of_every_household(
    points_world, year_of_h1, django_assert_max_num_queries
):
    batch = points_tasks.statements_batch_start(
        actor=points_world.secretary, village=points_world.village, year=year_of_h1
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    assert batch.done == batch.total == 2 * 5 + 1 and batch.percent == 100
    assert batch.finished_at is not None
    doc = batch.document
    assert doc.kind == DocumentKind.STATEMENTS and doc.subject_id == str(batch.pk)
    assert Document.objects.filter(kind=DocumentKind.STATEMENTS).count() == 1
    data = data_of(doc)
    assert doc.pages == pages_of(data) >= 5
    text = text_of(data)
    assert points_world.village.name in text and f"/verify/{doc.code}/" in text
    for household in points_world.h[1:]:
        assert household.number in text
    for household in (points_world.h[1], points_world.h[2], points_world.h[4]):
        assert head(household) in text
    # Each household starts on its own page.
    reader = PdfReader(io.BytesIO(data))
    starts = [i for i, page in enumerate(reader.pages) if "户积分存折" in page.extract_text()]
    assert len(starts) == 5


def test_batch_reports_layout_progress_as_it_goes(points_world, year_of_h1):
    seen = []
    real = batch_runner.Progress.set

    def spy(self, done, *, force=False):
        seen.append(done)
        return real(self, done, force=force)

    with mock.patch.object(batch_runner.Progress, "set", spy):
        batch = points_tasks.statements_batch_start(
            actor=points_world.secretary, village=points_world.village, year=year_of_h1
        )
    batch.refresh_from_db()
    n = 5
    assert seen == sorted(seen)
    assert list(range(1, n + 1)) == [d for d in seen if d <= n][:n]  # households assembled
    assert any(n < d < 2 * n for d in seen)  # pages laid out (WeasyPrint's progress log)
    assert 2 * n in seen  # the PDF being written
    assert batch.done == batch.total


def test_batch_failure_is_recorded_and_shown(points_world, year_of_h1, as_user):
    with mock.patch("village.documents.render", side_effect=RuntimeError("字体缺失")):
        batch = points_tasks.statements_batch_start(
            actor=points_world.secretary, village=points_world.village, year=year_of_h1
        )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "字体缺失" in batch.error
    assert batch.document is None and not Document.objects.exists()
    html = as_user(points_world.secretary).get(reverse("points_admin_batch", args=[batch.pk]))
    html = html.content.decode()
    assert "字体缺失" in html and 'http-equiv="refresh"' not in html


def test_batch_is_refused_without_points_view(points_world, year):
    for user in (points_world.resident, points_world.foreign.secretary, points_world.outsider):
        with pytest.raises(PermissionDenied):
            points_tasks.statements_batch_start(actor=user, village=points_world.village, year=year)
    with pytest.raises(ValidationError):
        points_tasks.statements_batch_start(
            actor=points_world.secretary, village=points_world.village, year=1999
        )
    assert not DocumentBatch.objects.exists()


def test_a_run_in_progress_is_not_started_twice(points_world, year, settings):
    # A backend that only queues, like the database backend before the worker picks it up.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    first = points_tasks.statements_batch_start(
        actor=points_world.secretary, village=points_world.village, year=year
    )
    again = points_tasks.statements_batch_start(
        actor=points_world.committee, village=points_world.village, year=year
    )
    queued = task_backends["default"].results
    assert again.pk == first.pk and len(queued) == 1
    assert queued[0].args == [first.pk] or queued[0].args == (first.pk,)
    assert first.status == BatchStatus.QUEUED and first.done == 0
    # Run twice (a retried task): the second run does nothing.
    assert print_.statements_batch_run(first.pk)
    assert print_.statements_batch_run(first.pk) is None
    assert Document.objects.filter(kind=DocumentKind.STATEMENTS).count() == 1


def test_admin_starts_the_batch_and_watches_the_progress(points_world, year_of_h1, as_user):
    client = as_user(points_world.secretary)
    for page in (reverse("points_admin_welfare"), reverse("points_admin_ledger")):
        html = client.get(page).content.decode()
        assert reverse("points_admin_batch_start") in html and "打印全村积分存折" in html
    response = client.post(
        reverse("points_admin_batch_start"),
        {
            "village": points_world.village.pk,
            "year": year_of_h1,
            "next": reverse("points_admin_welfare"),
        },
    )
    batch = DocumentBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("points_admin_batch", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and "100%" in page
    assert 'http-equiv="refresh"' not in page
    download = reverse("points_admin_batch_pdf", args=[batch.pk])
    assert download in page
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    assert head(points_world.h[2]) in text_of(pdf.content)
    welfare = client.get(reverse("points_admin_welfare")).content.decode()
    assert reverse("points_admin_batch", args=[batch.pk]) in welfare
    # A bad year goes back with a message.
    response = client.post(
        reverse("points_admin_batch_start"),
        {"village": points_world.village.pk, "year": "x", "next": reverse("points_admin_ledger")},
        follow=True,
    )
    assert "年度须为整数" in response.content.decode()
    response = client.post(
        reverse("points_admin_batch_start"), {"village": "abc", "year": year_of_h1}, follow=True
    )
    assert response.status_code == 200 and "请选择村" in response.content.decode()
    assert DocumentBatch.objects.count() == 1


def test_progress_page_refreshes_while_running(
    points_world, as_user, year, django_assert_num_queries
):
    batch = DocumentBatch.objects.create(
        village=points_world.village,
        kind=DocumentKind.STATEMENTS,
        params={"year": year},
        requested_by=points_world.secretary,
        total=11,
        done=7,
        status=BatchStatus.RUNNING,
    )
    client = as_user(points_world.secretary)
    url = reverse("points_admin_batch", args=[batch.pk])
    client.get(url)
    with django_assert_num_queries(13):  # the admin menu; the page itself reads one row
        page = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="7" max="11"' in page and "63%" in page
    assert "正在排版" in page
    assert reverse("points_admin_batch_pdf", args=[batch.pk]) not in page
    assert client.get(reverse("points_admin_batch_pdf", args=[batch.pk])).status_code == 404
    # Another village's secretary and a villager cannot see it.
    assert as_user(points_world.foreign.secretary).get(url).status_code == 404
    assert as_user(points_world.resident).get(url).status_code in (302, 403)
    # Hours later and still running: the worker stopped; the page says so and stops refreshing,
    # and a new request starts a new run instead of waiting on this one.
    DocumentBatch.objects.filter(pk=batch.pk).update(
        requested_at=batch.requested_at - timedelta(hours=2)
    )
    page = as_user(points_world.secretary).get(url).content.decode()
    assert 'data-testid="batch-stale"' in page and 'http-equiv="refresh"' not in page
    again = points_tasks.statements_batch_start(
        actor=points_world.secretary, village=points_world.village, year=year
    )
    again.refresh_from_db()
    assert again.pk != batch.pk and again.status == BatchStatus.DONE


def test_welfare_page_queries_do_not_grow_with_batches(
    points_world, as_user, year, django_assert_num_queries
):
    client = as_user(points_world.secretary)
    url = reverse("points_admin_welfare")

    def run():
        return DocumentBatch.objects.create(
            village=points_world.village,
            kind=DocumentKind.STATEMENTS,
            params={"year": year},
            requested_by=points_world.secretary,
            total=11,
        )

    run()
    client.get(url)
    with django_assert_num_queries(16) as first:
        client.get(url)
    for _ in range(4):
        run()
    with django_assert_num_queries(len(first.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-testid="batch-row"') == 5
