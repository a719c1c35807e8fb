"""The demo moves with the calendar: loaded on any day, the current year has points, lists and
resolutions are open for objections, and votes are open — here loaded on 1 March 2027, when a
demo fixed to 2025–2026 showed villagers an empty year."""

import io
from datetime import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import translation

from deliberation.models import Matter
from deliberation.models import Publication as Resolution
from points.models import Entry, EntryKind, Publication

WHEN = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def travelled(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        mock.patch("django.utils.timezone.now", return_value=WHEN),
    ):
        call_command("load_demo", "--force", stdout=io.StringIO())
        yield SimpleNamespace(villager=get_user_model().objects.get(username="villager"))
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_villager_sees_this_years_points_on_1_march_2027(travelled):
    household = travelled.villager.villager.household
    this_year = Entry.objects.filter(account__household=household, year=2027)
    assert this_year.filter(kind=EntryKind.OPENING, status="posted").exists()
    assert not Entry.objects.filter(occurred_on__gt=WHEN.date()).exists()  # nothing yet to come
    client = Client()
    client.force_login(travelled.villager)
    with translation.override("zh-hans"):
        page = client.get("/points/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2027年积分明细" in page
    assert "2027年度基础分" in page
    assert "公示中" in page  # a list open for objections, linked from the villager's page


@pytest.mark.django_db
def test_lists_and_a_resolution_are_open_on_1_march_2027(travelled):
    open_lists = Publication.objects.filter(
        village__code="dongmaopu", closed_at__isnull=True, objection_ends_at__gt=WHEN
    )
    assert open_lists.exists()
    assert open_lists.filter(entries__account__household=travelled.villager.villager.household)
    assert Resolution.objects.filter(
        closed_at__isnull=True, starts_at__lte=WHEN, ends_at__gt=WHEN
    ).exists()
    # Last year's lists were all posted.
    assert Publication.objects.filter(month__year=2026).count() >= 12
    assert not Publication.objects.filter(month__year=2026, closed_at=None).exists()


@pytest.mark.django_db
def test_matters_in_each_state_and_both_votes_open_on_1_march_2027(travelled):
    from deliberation import selectors as deliberation

    states = set(Matter.objects.filter(village__code="dongmaopu").values_list("status", flat=True))
    assert {"draft", "voting", "publishing", "returned", "archived"} <= states
    with mock.patch("django.utils.timezone.now", return_value=WHEN):
        voting = Matter.objects.filter(village__code="dongmaopu", status="voting")
        assert {m.ballot_mode for m in voting} == {"secret", "open"}
        assert all(deliberation.vote_meeting(m).window_open for m in voting)
    assert "2028年村集体土地流转方案" in {m.title for m in voting}
