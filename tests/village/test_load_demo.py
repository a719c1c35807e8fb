"""`manage.py load_demo`: the demo township as the seed document describes it, loaded once.

Loading takes a while, so the demo is loaded (twice, to prove idempotence) once for the module
inside a transaction that is rolled back at the end.
"""

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone, translation

from village import permissions
from village.demo import PASSWORD
from village.models import (
    Grid,
    Household,
    Membership,
    Township,
    TownshipMembership,
    Village,
    Villager,
    validate_id_number,
)
from village.permissions import Action
from village.selectors import Body, body_members


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


User = get_user_model()
DEMO_ACCOUNTS = ["secretary", "committee", "gridofficer", "supervisor", "inspector", "villager"]
PHONES = [f"138{i:08d}" for i in range(1, 21)]


def counts() -> dict[str, int]:
    models = [*apps.get_app_config("village").get_models(), User]
    return {m._meta.label: m._default_manager.count() for m in models}


def run_load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        empty = counts()
        first_output = run_load_demo("--force")
        after_first = counts()
        second_output = run_load_demo("--force")
        after_second = counts()
        yield SimpleNamespace(
            empty=empty,
            first_output=first_output,
            after_first=after_first,
            second_output=second_output,
            after_second=after_second,
            main=Village.objects.get(name="东毛铺村"),
            second=Village.objects.get(name="西河村"),
        )
        transaction.set_rollback(True)


def on(village, body, day=None):
    return set(body_members(village=village, body=body, on=day or timezone.localdate()))


@pytest.mark.django_db
def test_load_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run_load_demo()
    assert "--force" in str(excinfo.value)
    assert counts() == before


@pytest.mark.django_db
class TestDemo:
    def test_builds_one_township_with_two_villages(self, demo):
        assert demo.empty["village.Village"] == 0
        assert Township.objects.count() == 1
        assert set(Village.objects.values_list("name", flat=True)) == {"东毛铺村", "西河村"}
        assert demo.main.township == demo.second.township
        assert "demo loaded" in demo.first_output

    def test_main_village_has_two_large_grids_and_eighteen_areas(self, demo):
        large = Grid.objects.filter(village=demo.main, level="large")
        areas = Grid.objects.filter(village=demo.main, level="area")
        assert large.count() == 2
        assert areas.count() == 18
        assert {a.parent for a in areas} == set(large)
        for area in areas:  # every area has its grid officer
            assert (
                Membership.objects.valid_on(timezone.localdate())
                .filter(role="grid_officer", grid=area)
                .exists()
            ), area

    def test_main_village_has_about_320_households_and_1100_villagers(self, demo):
        households = Household.objects.filter(village=demo.main)
        villagers = Villager.objects.filter(village=demo.main)
        assert 300 <= households.count() <= 340
        assert 1000 <= villagers.count() <= 1200
        assert Villager.objects.filter(village=demo.second).count() < villagers.count() / 5
        for household in households.select_related("head"):
            assert household.head is not None and household.head.household_id == household.pk
        assert not households.filter(members__isnull=True).exists()

    def test_id_numbers_are_valid_and_match_birth_dates(self, demo):
        for villager in Villager.objects.filter(village=demo.main):
            validate_id_number(villager.id_number)
            assert villager.id_number[6:14] == villager.birth_date.strftime("%Y%m%d")

    def test_45_party_members_some_probationary(self, demo):
        members = Villager.objects.filter(village=demo.main).exclude(party_membership="none")
        probationary = members.filter(party_membership="probationary").count()
        assert members.count() == 45
        assert 0 < probationary < 45
        assert len(on(demo.main, Body.PARTY_MEMBERS)) == 45 - probationary

    def test_about_30_representatives_serving_now_and_next_year(self, demo):
        representatives = Villager.objects.filter(village=demo.main, is_representative=True)
        assert 25 <= representatives.count() <= 35
        today = timezone.localdate()
        for day in (today, today + timedelta(days=365)):
            serving = [v for v in representatives if v.is_representative_on(day)]
            assert len(serving) == representatives.count(), day
            body = on(demo.main, Body.REPRESENTATIVES, day)
            assert body == set(serving) | on(demo.main, Body.VILLAGE_COMMITTEE, day)

    def test_two_committees_seven_and_six_with_three_on_both(self, demo):
        branch = on(demo.main, Body.BRANCH_COMMITTEE)
        committee = on(demo.main, Body.VILLAGE_COMMITTEE)
        assert len(branch) == 7
        assert len(committee) == 6
        assert len(branch & committee) == 3
        assert len(branch | committee) == 10
        assert on(demo.main, Body.TWO_COMMITTEES) == branch | committee
        secretary = User.objects.get(username="secretary").villager
        assert secretary in branch and secretary in committee
        assert all(v.party_membership == "full" for v in branch)

    def test_three_member_supervision_committee_apart_from_the_committees(self, demo):
        supervision = on(demo.main, Body.SUPERVISION)
        assert len(supervision) == 3
        assert not supervision & on(demo.main, Body.TWO_COMMITTEES)

    def test_demo_accounts_log_in_with_the_demo_password(self, demo):
        for username in DEMO_ACCOUNTS:
            user = User.objects.get(username=username)
            assert user.check_password(PASSWORD), username
            assert user.is_active
        assert PASSWORD == "demo12345"
        assert User.objects.get(username="villager").villager.phone == "13800000001"

    def test_demo_accounts_hold_their_roles(self, demo):
        main, second = demo.main, demo.second
        today = timezone.localdate()

        def roles(username):
            villager = User.objects.get(username=username).villager
            return set(
                Membership.objects.valid_on(today)
                .filter(villager=villager)
                .values_list("role", flat=True)
            )

        assert "secretary" in roles("secretary")
        assert "village_committee" in roles("committee")
        assert roles("gridofficer") == {"grid_officer"}
        assert roles("supervisor") == {"supervision"}
        assert roles("villager") == set()
        officer = User.objects.get(username="gridofficer").villager.memberships.get()
        assert officer.grid.name == "三片区"
        inspector = User.objects.get(username="inspector")
        assert TownshipMembership.objects.get(user=inspector).role == "inspector"

        secretary = User.objects.get(username="secretary")
        assert permissions.can(secretary, Action.CHANGE_ROSTER, main)
        assert permissions.can(secretary, Action.ISSUE_ACTIVATION, main)
        assert not permissions.can(secretary, Action.VIEW_VILLAGE, second)
        assert set(permissions.visible_villages(inspector)) == {main, second}
        assert not permissions.can(inspector, Action.CHANGE_ROSTER, main)
        villager = User.objects.get(username="villager")
        assert permissions.can(villager, Action.VIEW_HOUSEHOLD, villager.villager.household)
        assert not permissions.can(villager, Action.VIEW_ROSTER, main)

    def test_twenty_adult_villagers_with_phones_in_different_households(self, demo):
        today = timezone.localdate()
        adult_age = demo.main.rules.adult_age
        people = [Villager.objects.get(village=demo.main, phone=phone) for phone in PHONES]
        assert len({v.household_id for v in people}) == 20
        assert len({v.household.area_id for v in people}) == 18
        for villager in people:
            assert villager.is_adult_on(today, adult_age), villager.phone
            assert villager.status == "registered"
            assert villager.user is not None and villager.user.check_password(PASSWORD)
        assert people[0].user.username == "villager"
        assert [v.user.username for v in people[1:]] == PHONES[1:]

    def test_villagers_log_in_with_phone_and_demo_password(self, demo):
        request = RequestFactory().post("/login/")
        for phone in (PHONES[0], PHONES[7], PHONES[19]):
            user = authenticate(request, username=phone, password=PASSWORD)
            assert user is not None and user.villager.phone == phone

    def test_second_run_duplicates_nothing(self, demo):
        assert "already loaded" in demo.second_output
        assert demo.after_second == demo.after_first
        assert counts() == demo.after_first

    def test_audit_chain_is_intact_after_loading(self, demo):
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert "audit chain intact" in out.getvalue()
        assert demo.after_first["village.AuditEvent"] > demo.after_first["village.Villager"]

    def test_load_demo_ends_with_the_address_and_the_logins(self, demo):
        for output in (demo.first_output, demo.second_output):
            block = output[output.index("http://127.0.0.1:8000/") :]
            assert "http://127.0.0.1:8000/admin/" in block
            assert PASSWORD in block
            for login in [*DEMO_ACCOUNTS, "13800000002", "13800000020"]:
                assert login in block, login

    def test_the_fire_notice_has_its_reach_filled_in_across_channels(self, demo):
        """The demo's reach page shows every way: read, told in person, by phone, loudspeaker,
        WeChat group; inbox messages for the accounts and texts waiting for the worker."""
        from pages import selectors
        from pages.models import NoticePage
        from village.models import Channel, Delivery

        notice = NoticePage.objects.get(title__startswith="关于做好今冬明春防火工作的通知")
        report = selectors.reach_report(notice, demo.main)
        assert report["first_read"] > 0 and all(report["told"].values()), report["told"]
        assert 0 < report["not_reached"] < report["total"] - report["reached"] + 1
        deliveries = Delivery.objects.filter(notification__key=f"notice:{notice.pk}")
        assert deliveries.filter(channel=Channel.INBOX).count() > 300
        assert deliveries.filter(channel=Channel.SMS).exists()
        # Only that notice was told: the others are history entered by the loader.
        others = Delivery.objects.filter(notification__key__startswith="notice:").exclude(
            notification__key=f"notice:{notice.pk}"
        )
        assert not others.exists()

    def test_a_questionnaire_is_half_answered_by_members_and_at_the_door(self, demo):
        from pages import selectors
        from pages.models import NoticePage

        notice = NoticePage.objects.get(title="冬春季返乡人员户情登记")
        assert notice.questions.count() == 3
        report = selectors.answers_report(notice, demo.main)
        assert 0.35 < report["answered"] / report["total"] < 0.65
        ways = {answer.way for _h, answer, _v in report["rows"] if answer}
        assert ways == {"member", "at_door"}
        assert selectors.answers_unmatched(notice) == []

    def test_a_family_proxy_has_confirmed_the_fire_notice_for_a_household(self, demo):
        """The demo's 亲情账号 (a daughter in Jinan): bound to a household where nobody has a
        login, it confirmed the fire notice in the household's name, and logs in by phone."""

        from pages import selectors
        from pages.demo.online import PROXY_PHONE
        from pages.models import NoticePage
        from village.models import HouseholdProxy

        proxy = HouseholdProxy.objects.get(phone=PROXY_PHONE)
        assert proxy.is_active() and proxy.household.village == demo.main
        notice = NoticePage.objects.get(title__startswith="关于做好今冬明春防火工作的通知")
        assert selectors.reach_report(notice, demo.main)["read_by_proxy"] == 1
        assert proxy.user.username == PROXY_PHONE and proxy.user.check_password(PASSWORD)

    def test_notices_have_reads_and_unread_households(self, demo):
        """The unread report shows a working village: most households of each audience have
        confirmed, some have not, and older notices have reached more of them."""
        from pages import selectors
        from pages.models import NoticePage, NoticeRead

        # The fourteen notices of the village's history (the questionnaire of this week is
        # the next test's).
        notices = list(
            NoticePage.objects.live()
            .descendant_of(demo.main.home_page)
            .filter(questions__isnull=True)
            .order_by("publish_on")
        )
        assert len(notices) == 14
        shares = []
        for notice in notices:
            report = selectors.reach_report(notice, demo.main)
            assert 0 < report["read"] < report["total"], notice.title
            # The rows are the households not yet reached: not read, and nobody told them.
            assert report["unread"] >= report["not_reached"] == len(report["rows"]) > 0
            shares.append(report["read"] / report["total"])
            for read in NoticeRead.objects.filter(notice=notice).select_related("villager"):
                assert selectors.in_audience(notice, read.villager), notice.title
                assert timezone.localdate(read.read_at) >= notice.publish_on
        assert all(0.45 <= share <= 0.95 for share in shares), shares
        assert sum(shares[:5]) > sum(shares[-5:])  # the oldest, read more than the newest
        # The demo villager still has this week's notices to confirm.
        villager = User.objects.get(username="villager")
        unread = [n for n in notices if not NoticeRead.objects.filter(notice=n, user=villager)]
        assert any(selectors.in_audience(n, villager.villager) for n in unread)

    def test_a_secret_and_an_open_vote_are_open_to_every_demo_phone(self, demo):
        """Anyone can try both kinds of vote on the demo, whatever day it was loaded."""
        from deliberation import selectors as deliberation
        from deliberation.models import Matter

        voting = Matter.objects.filter(village__code="dongmaopu", status="voting")
        modes = {}
        for matter in voting:
            meeting = deliberation.vote_meeting(matter)
            assert meeting.window_open, matter.title
            modes[matter.ballot_mode] = matter
        assert set(modes) == {"secret", "open"}
        villager = User.objects.get(username="villager").villager
        for matter in modes.values():
            meeting = deliberation.vote_meeting(matter)
            assert meeting.attendance.filter(villager=villager).exists()
            assert not meeting.participations.filter(voter=villager).exists()
        # The secret one already holds sealed votes, and nothing of them reads as a choice.
        secret = deliberation.vote_meeting(modes["secret"])
        assert secret.sealed_ballots.count() == secret.participations.count() > 0
        assert not secret.ballots.exists()


def test_task_logs_stay_off_the_dev_console():
    """`make run`: the task worker's INFO and DEBUG lines go to var/tasks.log, not the console."""
    import importlib
    import logging

    dev = importlib.import_module("village.settings.dev")
    config = dev.LOGGING
    for name in ("django_tasks", "django_tasks_db"):
        logger = config["loggers"][name]
        assert logger["propagate"] is False, name
        for handler_name in logger["handlers"]:
            handler = config["handlers"][handler_name]
            if handler["class"] == "logging.StreamHandler":
                assert logging.getLevelName(handler["level"]) >= logging.WARNING, handler_name
        assert any(
            config["handlers"][h]["class"] == "logging.FileHandler" for h in logger["handlers"]
        )
