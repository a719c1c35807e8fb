"""The 积分台账 admin page a page at a time: the rows of one page, the count and the totals of the
whole filtered ledger from the database, page links that keep the filter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from points import admin_views
from points.models import Entry, EntryStatus

pytestmark = pytest.mark.django_db

PER_PAGE = 3


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(admin_views, "LEDGER_PER_PAGE", PER_PAGE)


def rows(html) -> int:
    return html.count('data-testid="ledger-row"')


def test_the_ledger_is_shown_a_page_at_a_time_with_totals_of_all_pages(
    points_world, ledger, as_user
):
    w = points_world
    ledger.post((w.h[1], "HJ01"), (w.h[1], "HJ01"), (w.h[2], "HJ02"), (w.h[3], "HJ01"))
    ledger.record(w.h[2], "HJ01")  # recorded, not posted: counted, not summed
    client = as_user(w.secretary)
    url = reverse("points_admin_ledger")
    first = client.get(url, {"year": w.day.year}).content.decode()
    n = Entry.objects.filter(village=w.village, year=w.day.year).count()
    posted = Entry.objects.filter(village=w.village, year=w.day.year, status=EntryStatus.POSTED)
    plus = sum(e.points for e in posted if e.points > 0)
    minus = sum(e.points for e in posted if e.points < 0)
    assert n == 5 and posted.count() == 4
    assert rows(first) == PER_PAGE
    assert f"共 5 条；已入账合计 {plus + minus} 分（加 {plus}，减 {minus}）。" in first
    assert "第 1/2 页" in first
    assert f"year={w.day.year}&amp;page=2" in first
    second = client.get(url, {"year": w.day.year, "page": 2}).content.decode()
    assert rows(second) == n - PER_PAGE
    # A filter narrows the count and totals too.
    one = client.get(url, {"year": w.day.year, "household": w.h[1].number}).content.decode()
    mine = posted.filter(account__household=w.h[1])
    assert rows(one) == 2 and f"共 2 条；已入账合计 {sum(e.points for e in mine)} 分" in one


def test_the_ledger_costs_the_same_for_one_and_many_pages(points_world, ledger, as_user):
    w = points_world
    ledger.post((w.h[1], "HJ01"))
    client = as_user(w.secretary)
    url = reverse("points_admin_ledger")
    client.get(url)  # warm-up

    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            assert rows(client.get(url).content.decode()) >= 1
        return len(done)

    few = queries()
    ledger.post(*[(w.h[i % 3 + 1], "HJ01") for i in range(8)])
    assert queries() == few
