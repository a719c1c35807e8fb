"""Pinned query counts of the procedure's pages and list endpoints: each costs the same for a
few items as for many (matters, meetings, objections, suggestions, attendees).

Each count is of a second request: the first warms the content-type cache and Wagtail's admin
caches, as they are on any running server. The counts include the session and user lookups of
the signed-in user (or the API token's) and the lookups of their roles; the admin pages include
Wagtail's menu and permission lookups.
"""

import json
from unittest import mock

import pytest
from django.urls import reverse

from deliberation import selectors, services
from deliberation.models import Category, DecidingBody, MatterStatus
from tests.factories import PASSWORD, VillagerFactory
from village import audit

pytestmark = pytest.mark.django_db

# Villager: session, user, roles (villager, memberships, township roles), the matters with
# their meetings and versions, "have I voted" and "am I on the list" for all of them at once.
MATTER_LIST = 8
# Token, roles, the matters with their meetings and versions, "have I voted" at once.
API_MATTERS = 7  # + the voter-list set (may_vote)
# + the matter with its meetings, publications, objections (and who filed them), versions and
# updates; the vote meeting's list; the open publication; their own open ballot, shown again.
# (The villager comes with the roles: village.permissions.villager_of.)
MATTER_PAGE = 16
SUGGESTIONS = 4
API_SUGGESTIONS = 3
ADMIN_SUGGESTIONS = 9
# Wagtail's admin: + the user's profile, locales, page/collection/model permissions, the menu.
# + the documents already issued for the matter's meetings and resolution (their codes, and
# 重新签发, beside the print buttons): one query.
ADMIN_MATTER_RETURNED = 22
ADMIN_MATTER_PUBLISHING = 27
# Issue 18 adds to every page that judges a matter: the village's rule set versions (the
# version of each meeting's day), the supervision committee's notes, the village's cadres and
# their households (回避): three queries, whatever the number of meetings; and the 乡贤参事
# opinions and the implementation milestones (2; the dashboard: the milestones, 1).
# The vote page: one page of the should-attend list (its counts; its rows with "voted"), the
# number who voted so far.
ADMIN_MATTER_VOTING = 25
ATTENDANCE = 13  # + the rule set versions (who counts as present that day)
# The admin matter page's reads (without the page's forms) + the village's audit chain checked,
# its head, the matter's events; the copies of the head held elsewhere (township anchors,
# documents: 2); the recount of every meeting (ballots, participations, sealed ballots,
# attendance, events: 5).
TRAIL = 39
API_AUDIT = 25
# + the supervision notes and the cadres (2), and per village the points app's 积分与福利
# findings (village.extensions.inspections; points/audit.py): 10 queries for a village.
DASHBOARD = 34


def token(client, user) -> dict:
    response = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": user.username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


@pytest.fixture
def pinned(client, django_assert_num_queries):
    """GET `url` once to warm the caches, then again in exactly `queries` queries."""

    def get(url, queries, **headers):
        client.get(url, **headers)
        with django_assert_num_queries(queries):
            response = client.get(url, **headers)
        assert response.status_code == 200, response.content[:500]
        return response

    return get


# --- scenarios ---------------------------------------------------------------------------------


def voting_matters(procedure, people, count, start=0):
    """`count` matters put to the vote; r1 votes on every second one."""
    matters = []
    for i in range(start, start + count):
        matter = procedure.to_vote(f"第{i}号议题")
        if i % 2 == 0:
            procedure.vote(matter, people["r1"])
        matters.append(matter)
    return matters


def published(procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    return matter


def object_(deliberation_world, people, matter, labels, *, answer=True):
    """One objection by each of `labels`, answered by the secretary unless `answer` is False."""
    publication = selectors.open_publication(matter)
    for label in labels:
        objection = services.objection_file(
            actor=people[label].user, publication=publication, text=f"{label}的异议：租金偏低。"
        )
        if answer:
            services.objection_answer(
                actor=deliberation_world.secretary.user, objection=objection, answer="已重新评估。"
            )


OBSERVERS = [("乡贤甲", "乡贤"), ("镇干部乙", "包村干部")]


def rejected(procedure, deliberation_world, at_step):
    """A matter returned at step 1 (one meeting) or by the vote (four meetings), with two
    observers at each meeting of steps 1–3."""
    matter = procedure.create()
    if at_step == 1:
        procedure.record(matter, deliberation_world.branch, yes=[], observers=OBSERVERS)
    else:
        procedure.steps_1_to_3(matter, observers=OBSERVERS)
        procedure.open_vote(matter)
        procedure.hall(matter, deliberation_world.representatives_body, votes={})
        procedure.close_vote(matter, minutes="到会人员均未表态，未获通过。")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED
    assert matter.meetings.count() == at_step
    return matter


def crowd_vote(procedure, deliberation_world, people, extra):
    """A villagers' meeting vote in a village with `extra` adults more than the world's 28: three
    vote online, four are entered present in the hall."""
    for i in range(extra):
        VillagerFactory(
            household=deliberation_world.households[i % len(deliberation_world.households)],
            name=f"新户{i}",
        )
    matter = procedure.to_vote(deciding_body=DecidingBody.VILLAGERS_MEETING)
    for label in ("r1", "r2", "x3"):
        procedure.vote(matter, people[label])
    hall = [people[label] for label in ("b1", "b2", "p1", "p2")]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    meeting = selectors.current_vote_meeting(matter)
    assert meeting.should_attend == 28 + extra
    return matter, meeting


# --- villagers' pages and endpoints ------------------------------------------------------------


def test_the_matter_list_costs_the_same_for_2_and_6_matters(client, procedure, people, pinned):
    voting_matters(procedure, people, 2)
    client.force_login(people["r1"].user)
    page = pinned(reverse("deliberation:list"), MATTER_LIST).content.decode()
    assert page.count("您已投票") == 1 and page.count("去投票") == 1

    voting_matters(procedure, people, 4, start=2)
    page = pinned(reverse("deliberation:list"), MATTER_LIST).content.decode()
    assert page.count("您已投票") == 3 and page.count("去投票") == 3


def test_the_matters_endpoint_costs_the_same_for_2_and_6_matters(client, procedure, people, pinned):
    voting_matters(procedure, people, 2)
    headers = token(client, people["r1"].user)
    items = pinned("/api/v1/matters", API_MATTERS, **headers).json()
    assert sorted(i["has_voted"] for i in items) == [False, True]

    voting_matters(procedure, people, 4, start=2)
    items = pinned("/api/v1/matters", API_MATTERS, **headers).json()
    assert sorted(i["has_voted"] for i in items) == [False] * 3 + [True] * 3


def test_the_matter_page_costs_the_same_for_1_and_4_objections(
    client, deliberation_world, procedure, people, pinned
):
    matter = published(procedure)
    object_(deliberation_world, people, matter, ["x2"])
    client.force_login(people["r1"].user)
    url = reverse("deliberation:matter", args=[matter.pk])
    assert pinned(url, MATTER_PAGE).content.decode().count("答复：已重新评估。") == 1

    object_(deliberation_world, people, matter, ["x3", "x4", "x5"])
    assert pinned(url, MATTER_PAGE).content.decode().count("答复：已重新评估。") == 4


def suggest(deliberation_world, people, labels_and_adopt):
    for i, (label, adopt) in enumerate(labels_and_adopt):
        suggestion = services.suggestion_submit(
            actor=people[label].user,
            village=deliberation_world.village,
            text=f"第{i}件事：路灯坏了。",
        )
        if adopt:
            services.suggestion_adopt(
                actor=deliberation_world.secretary.user,
                suggestion=suggestion,
                title=f"修路灯{i}",
                body=suggestion.text,
                category=Category.OTHER,
            )


@pytest.fixture
def suggesting(deliberation_world, people):
    """x2 said one thing (adopted as a matter); `more()` adds three more, one adopted."""
    suggest(deliberation_world, people, [("x2", True)])

    def more():
        suggest(deliberation_world, people, [("x2", False), ("x2", True), ("x3", False)])

    return more


def test_the_suggestions_page_costs_the_same_for_1_and_3_suggestions(
    client, people, suggesting, pinned
):
    client.force_login(people["x2"].user)
    page = pinned(reverse("deliberation:suggestions"), SUGGESTIONS).content.decode()
    assert page.count('">已转为议题：') == 1

    suggesting()
    page = pinned(reverse("deliberation:suggestions"), SUGGESTIONS).content.decode()
    assert page.count('">已转为议题：') == 2 and page.count("路灯坏了") == 3


def test_the_suggestions_endpoint_costs_the_same_for_1_and_3_suggestions(
    client, people, suggesting, pinned
):
    headers = token(client, people["x2"].user)
    assert len(pinned("/api/v1/suggestions", API_SUGGESTIONS, **headers).json()) == 1

    suggesting()
    items = pinned("/api/v1/suggestions", API_SUGGESTIONS, **headers).json()
    assert len(items) == 3 and sum(1 for i in items if i["matter_id"]) == 2


# --- cadres' and inspectors' pages -------------------------------------------------------------


def test_the_admin_suggestions_page_costs_the_same_for_1_and_4_suggestions(
    client, deliberation_world, suggesting, pinned
):
    client.force_login(deliberation_world.secretary.user)
    page = pinned(reverse("deliberation_admin_suggestions"), ADMIN_SUGGESTIONS).content.decode()
    assert page.count("路灯坏了") == 1

    suggesting()
    page = pinned(reverse("deliberation_admin_suggestions"), ADMIN_SUGGESTIONS).content.decode()
    assert page.count("路灯坏了") == 4 and page.count("转为议题</button>") == 2


@pytest.mark.parametrize("at_step", [1, 4])
def test_the_admin_matter_page_costs_the_same_for_1_and_4_meetings(
    client, deliberation_world, procedure, pinned, at_step
):
    matter = rejected(procedure, deliberation_world, at_step)
    client.force_login(deliberation_world.secretary.user)
    url = reverse("deliberation_admin_matter", args=[matter.pk])
    page = pinned(url, ADMIN_MATTER_RETURNED).content.decode()
    assert page.count("乡贤甲（乡贤）") == min(at_step, 3)


def test_the_admin_matter_page_costs_the_same_for_1_and_4_objections(
    client, deliberation_world, procedure, people, pinned
):
    matter = published(procedure)
    object_(deliberation_world, people, matter, ["x2"], answer=False)
    client.force_login(deliberation_world.secretary.user)
    url = reverse("deliberation_admin_matter", args=[matter.pk])
    assert pinned(url, ADMIN_MATTER_PUBLISHING).content.decode().count("租金偏低") == 1

    object_(deliberation_world, people, matter, ["x3", "x4", "x5"], answer=False)
    assert pinned(url, ADMIN_MATTER_PUBLISHING).content.decode().count("租金偏低") == 4


@pytest.mark.parametrize("extra", [0, 40])
def test_the_admin_matter_page_of_a_vote_costs_the_same_for_28_and_68_attendees(
    client, deliberation_world, procedure, people, pinned, extra
):
    matter, _meeting = crowd_vote(procedure, deliberation_world, people, extra)
    client.force_login(deliberation_world.secretary.user)
    page = pinned(reverse("deliberation_admin_matter", args=[matter.pk]), ADMIN_MATTER_VOTING)
    assert page.content.decode().count('name="household_') == 28 + extra


@pytest.mark.parametrize("extra", [0, 40])
def test_the_attendance_page_costs_the_same_for_28_and_68_attendees(
    client, deliberation_world, procedure, people, pinned, extra
):
    _matter, meeting = crowd_vote(procedure, deliberation_world, people, extra)
    client.force_login(deliberation_world.secretary.user)
    page = pinned(reverse("deliberation_admin_attendance", args=[meeting.pk]), ATTENDANCE)
    html = page.content.decode()
    assert html.count("<tr><td>") == 28 + extra
    assert html.count("（网上投票）") == 3


@pytest.mark.parametrize("at_step", [1, 4])
def test_the_trail_page_costs_the_same_for_1_and_4_meetings(
    client, deliberation_world, procedure, inspector, pinned, at_step
):
    matter = rejected(procedure, deliberation_world, at_step)
    client.force_login(inspector)
    html = pinned(reverse("deliberation_admin_trail", args=[matter.pk]), TRAIL).content.decode()
    assert "本村审计链校验完整" in html
    assert html.count("deliberation.meeting.record") == 0  # actions by name, never by key


@pytest.mark.parametrize("at_step", [1, 4])
def test_the_audit_endpoint_costs_the_same_for_1_and_4_meetings(
    client, deliberation_world, procedure, inspector, pinned, at_step
):
    matter = rejected(procedure, deliberation_world, at_step)
    headers = token(client, inspector)
    trail = pinned(f"/api/v1/matters/{matter.pk}/audit", API_AUDIT, **headers).json()
    assert trail["chain_ok"] is True
    assert len(trail["meetings"]) == at_step
    assert trail["meetings"][0]["observers"] == ["乡贤甲（乡贤）", "镇干部乙（包村干部）"]


def test_the_dashboard_costs_the_same_for_2_and_6_matters(
    client, deliberation_world, procedure, people, inspector, pinned
):
    voting_matters(procedure, people, 2)
    client.force_login(inspector)
    url = reverse("deliberation_admin_dashboard")
    html = pinned(url, DASHBOARD).content.decode()
    assert all(f"第{i}号议题" in html for i in range(2))

    voting_matters(procedure, people, 4, start=2)
    html = pinned(url, DASHBOARD).content.decode()
    assert all(f"第{i}号议题" in html for i in range(6))


def test_only_the_inspectors_screens_check_the_whole_audit_chain(
    client, deliberation_world, procedure, people, inspector
):
    """Checking the chain reads every event of the village (every app's); the matter's page
    and a printed resolution show nothing of it, the trail page and the audit API do."""
    matter = procedure.to_vote()
    procedure.resolve(matter)
    with mock.patch("village.audit.verify_chain", wraps=audit.verify_chain) as check:
        client.force_login(deliberation_world.secretary.user)
        assert client.get(reverse("deliberation_admin_matter", args=[matter.pk])).status_code == 200
        printed = client.post(reverse("deliberation_admin_print_resolution", args=[matter.pk]))
        assert printed["Content-Type"] == "application/pdf"
        client.force_login(people["r1"].user)
        assert client.get(reverse("deliberation:matter", args=[matter.pk])).status_code == 200
        assert check.call_count == 0

        client.force_login(inspector)
        page = client.get(reverse("deliberation_admin_trail", args=[matter.pk])).content.decode()
        assert "本村审计链校验完整" in page
        trail = client.get(f"/api/v1/matters/{matter.pk}/audit", **token(client, inspector))
        assert trail.json()["chain_ok"] is True
        assert check.call_count == 2
