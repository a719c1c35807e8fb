"""The villager's and inspector's API under /api/v1/, with bearer tokens."""

import json

import pytest
from django.core.exceptions import ValidationError

from deliberation import services
from deliberation.models import BallotMode, MatterStatus, Participation, Suggestion
from tests.factories import PASSWORD
from tests.support.deliberation_world import Procedure

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def token(self, user):
        if user.pk not in self.tokens:
            response = self.client.post(
                "/api/v1/auth/token",
                data=json.dumps({"username": user.username, "password": PASSWORD}),
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            self.tokens[user.pk] = response.json()["token"]
        return self.tokens[user.pk]

    def headers(self, user):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token(user)}"} if user else {}

    def get(self, path, user):
        return self.client.get(f"/api/v1{path}", **self.headers(user))

    def post(self, path, user, data):
        return self.client.post(
            f"/api/v1{path}",
            data=json.dumps(data),
            content_type="application/json",
            **self.headers(user),
        )


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def voting(procedure):
    return procedure.to_vote("2027年村集体土地流转方案")


@pytest.fixture
def draft(procedure):
    return procedure.create("村道硬化筹资方案（草拟）")


def titles(response):
    return {m["title"] for m in response.json()}


# --- list and detail ---------------------------------------------------------------------------


def test_without_a_token_the_api_answers_401_json(api, voting):
    response = api.get("/matters", None)
    assert response.status_code == 401
    assert "登录" in response.json()["message"]


@pytest.fixture
def neighbour_voting(neighbour):
    """A matter of another village of the township, open for its villagers' vote."""
    return Procedure(neighbour).to_vote("西河村自来水改造方案")


def test_a_villager_lists_only_public_matters_of_their_own_village(
    api, people, voting, draft, neighbour_voting
):
    response = api.get("/matters", people["x3"].user)
    assert response.status_code == 200
    assert titles(response) == {voting.title}
    item = response.json()[0]
    assert item["status"] == "voting"
    assert item["status_label"] == "表决中"
    assert item["village"] == "东毛铺村"
    assert item["vote_closes_at"] is not None
    assert item["has_voted"] is False


def test_a_villager_gets_404_for_a_draft_and_for_another_villages_matter(
    api, people, draft, neighbour_voting
):
    for matter in (draft, neighbour_voting):
        response = api.get(f"/matters/{matter.pk}", people["x3"].user)
        assert response.status_code == 404
        assert response.json()["message"] == "找不到该对象。"
    assert api.get("/matters/999999", people["x3"].user).status_code == 404


def test_a_villager_reads_the_frozen_text_and_its_fingerprint(api, people, voting):
    response = api.get(f"/matters/{voting.pk}", people["r1"].user)
    assert response.status_code == 200
    body = response.json()
    assert body["body"] == voting.body
    assert body["frozen_sha256"] == voting.frozen_hash
    assert body["sha256"] == voting.frozen_hash
    assert body["version"] == 1
    assert body["vote_opens_at"] is not None
    assert body["receipts"] is None


def test_the_secretary_sees_drafts_of_their_own_village(api, deliberation_world, voting, draft):
    response = api.get("/matters", deliberation_world.secretary.user)
    assert titles(response) == {voting.title, draft.title}
    assert api.get(f"/matters/{draft.pk}", deliberation_world.secretary.user).status_code == 200


def test_the_inspector_sees_every_matter_of_the_township_and_nothing_beyond(
    api, inspector, foreign_inspector, voting, draft
):
    assert titles(api.get("/matters", inspector)) == {voting.title, draft.title}
    assert api.get("/matters", foreign_inspector).json() == []
    assert api.get(f"/matters/{voting.pk}", foreign_inspector).status_code == 404


def test_the_list_filters_by_status(api, deliberation_world, voting, draft):
    response = api.get("/matters?status=draft", deliberation_world.secretary.user)
    assert titles(response) == {draft.title}


# --- vote ------------------------------------------------------------------------------------


def test_a_vote_returns_a_receipt_bound_to_the_frozen_fingerprint(api, people, voting):
    response = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "yes"})
    assert response.status_code == 200, response.content
    receipt = response.json()
    assert receipt["sha256"] == voting.frozen_hash
    assert len(receipt["receipt"]) == 10
    assert receipt["choice"] == "yes"
    assert receipt["secret"] is False
    listed = api.get("/matters", people["r1"].user).json()
    assert listed[0]["has_voted"] is True
    detail = api.get(f"/matters/{voting.pk}", people["r1"].user).json()
    assert detail["has_voted"] is True
    # An open vote's receipt can be fetched again by its voter, and by nobody else.
    assert (detail["my_receipt"], detail["my_choice"]) == (receipt["receipt"], "yes")
    other = api.get(f"/matters/{voting.pk}", people["r2"].user).json()
    assert other["my_receipt"] is None and other["my_choice"] is None


def test_may_vote_only_on_the_list_while_the_window_is_open_and_not_yet_voted(
    api, people, voting, procedure
):
    def may_vote(label):
        listed = {m["id"]: m for m in api.get("/matters", people[label].user).json()}
        detail = api.get(f"/matters/{voting.pk}", people[label].user).json()
        assert listed[voting.pk]["may_vote"] is detail["may_vote"]
        return detail["may_vote"]

    # A representatives' meeting: r1 is on its list, x3 (a plain villager) is not — and would
    # be told "not on the list" after following a "vote" invitation.
    assert may_vote("r1") is True
    assert may_vote("x3") is False
    refused = api.post(f"/matters/{voting.pk}/vote", people["x3"].user, {"choice": "yes"})
    assert refused.status_code == 403
    voted = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "no"})
    assert voted.status_code == 200
    assert may_vote("r1") is False  # voted
    assert may_vote("r2") is True
    with procedure.after_window(voting):
        assert may_vote("r2") is False  # the window is over


def test_a_second_vote_gets_400_with_a_message(api, people, voting):
    api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "yes"})
    response = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "no"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "已经投过票" in response.json()["message"]
    assert Participation.objects.filter(voter=people["r1"]).count() == 1


@pytest.mark.parametrize("payload", [{"choice": "maybe"}, {"choice": ""}, {}, {"choice": None}])
def test_a_bad_choice_gets_a_json_4xx_and_no_vote(api, people, voting, payload):
    response = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, payload)
    assert response.status_code in (400, 422)
    assert response.json()["message"]
    assert not Participation.objects.filter(meeting__step=4).exists()


def test_a_vote_on_a_closed_matter_gets_400(api, deliberation_world, procedure, people, voting):
    procedure.resolve(voting, voters=deliberation_world.representatives_body[1:])
    response = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "yes"})
    assert response.status_code == 400
    assert "不在表决期" in response.json()["message"]


def test_a_vote_outside_the_window_gets_400(api, procedure, people, voting):
    with procedure.after_window(voting):
        response = api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "yes"})
    assert response.status_code == 400
    assert "不在网上投票时间内" in response.json()["message"]


def test_a_vote_from_a_minor_gets_403(api, people, voting):
    response = api.post(f"/matters/{voting.pk}/vote", people["minor"].user, {"choice": "yes"})
    assert response.status_code == 403
    assert "不在本次表决的名单中" in response.json()["message"]
    assert not Participation.objects.filter(meeting__step=4).exists()


def test_a_vote_from_another_village_gets_404(api, people, neighbour, voting, neighbour_voting):
    response = api.post(
        f"/matters/{voting.pk}/vote", neighbour.people["r1"].user, {"choice": "yes"}
    )
    assert response.status_code == 404
    # Nor may our villager vote on the neighbour's matter.
    response = api.post(
        f"/matters/{neighbour_voting.pk}/vote", people["r1"].user, {"choice": "yes"}
    )
    assert response.status_code == 404
    assert not Participation.objects.filter(meeting__step=4).exists()


def test_an_inspector_cannot_vote(api, inspector, voting):
    response = api.post(f"/matters/{voting.pk}/vote", inspector, {"choice": "yes"})
    assert response.status_code in (400, 403)
    assert response.json()["message"]
    assert not Participation.objects.filter(meeting__step=4).exists()


def test_a_secret_vote_lists_the_receipt_after_the_tally(
    api, deliberation_world, procedure, people
):
    matter = procedure.to_vote("村干部误工补贴标准", ballot_mode=BallotMode.SECRET)
    receipt = api.post(f"/matters/{matter.pk}/vote", people["r1"].user, {"choice": "no"}).json()
    assert receipt["secret"] is True
    detail = api.get(f"/matters/{matter.pk}", people["r1"].user).json()
    assert detail["receipts"] is None
    # A secret vote's receipt is shown once: nothing stored pairs it with its voter.
    assert detail["has_voted"] is True and detail["my_receipt"] is None
    procedure.hall(matter, deliberation_world.representatives_body[1:], tally={"yes": 11})
    procedure.close_vote(matter)
    assert matter.status == MatterStatus.RESOLVED
    detail = api.get(f"/matters/{matter.pk}", people["r1"].user).json()
    # Only online ballots carry a receipt; the paper ones in the hall do not.
    assert detail["receipts"] == [{"receipt": receipt["receipt"], "choice": "no"}]


# --- objection ---------------------------------------------------------------------------------


def test_a_villager_objects_during_the_publication(
    api, deliberation_world, procedure, people, voting
):
    procedure.resolve(voting)
    procedure.publish(voting)
    response = api.post(
        f"/matters/{voting.pk}/objection", people["x4"].user, {"text": "租金偏低，请重新评估。"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["id"]
    detail = api.get(f"/matters/{voting.pk}", people["x4"].user).json()
    assert detail["publications"][0]["objections"] == 1
    with pytest.raises(ValidationError, match="异议未答复"):
        procedure.close_publication(voting)


def test_an_objection_without_an_open_publication_gets_400(api, people, voting):
    response = api.post(f"/matters/{voting.pk}/objection", people["x4"].user, {"text": "反对"})
    assert response.status_code == 400
    assert "没有正在公开" in response.json()["message"]


def test_an_empty_objection_gets_400(api, procedure, people, voting):
    procedure.resolve(voting)
    procedure.publish(voting)
    response = api.post(f"/matters/{voting.pk}/objection", people["x4"].user, {"text": " "})
    assert response.status_code == 400


# --- audit -------------------------------------------------------------------------------------


def test_the_inspector_reads_the_audit_trail(
    api, deliberation_world, procedure, people, inspector, voting
):
    api.post(f"/matters/{voting.pk}/vote", people["r1"].user, {"choice": "yes"})
    procedure.resolve(voting, voters=deliberation_world.representatives_body[1:])
    response = api.get(f"/matters/{voting.pk}/audit", inspector)
    assert response.status_code == 200, response.content
    trail = response.json()
    assert trail["chain_ok"] is True
    assert trail["chain_problem"] is None
    assert [m["step"] for m in trail["meetings"]] == [1, 2, 3, 4]
    vote = trail["meetings"][3]
    assert (vote["should_attend"], vote["present"], vote["yes"]) == (12, 12, 12)
    assert vote["frozen_sha256"] == voting.frozen_hash
    assert vote["verdict"]["quorum"]["rule"] == "≥ 2/3"
    assert trail["red_flags"] == []
    assert trail["compliance"] == "passed"
    assert {f["code"] for f in trail["flags"]} >= {"quorum", "text_changed", "vote_window"}
    actions = [e["action"] for e in trail["events"]]
    assert actions[0] == "deliberation.matter.create"
    assert "deliberation.vote.cast" in actions
    assert actions[-1] == "deliberation.vote.close"
    assert trail["events"][0]["actor"] == deliberation_world.secretary.user.username
    assert all(len(e["hash"]) == 64 for e in trail["events"])


def test_the_audit_trail_shows_a_red_flag_with_its_reason(
    api, deliberation_world, procedure, inspector
):
    matter = procedure.create()
    procedure.record_without_minutes(matter, deliberation_world.branch)
    trail = api.get(f"/matters/{matter.pk}/audit", inspector).json()
    assert [(f["code"], f["step"]) for f in trail["red_flags"]] == [("minutes_missing", 1)]
    assert "党支部提议缺少会议纪要" in trail["red_flags"][0]["reason"]
    assert trail["compliance"] == "failed"


def test_the_audit_trail_of_a_new_draft_is_not_started(api, procedure, inspector):
    matter = procedure.create()
    trail = api.get(f"/matters/{matter.pk}/audit", inspector).json()
    assert trail["compliance"] == "not_started"
    assert trail["flags"] == [] and trail["red_flags"] == []


def test_a_villager_gets_403_json_for_the_audit_trail(api, people, voting):
    response = api.get(f"/matters/{voting.pk}/audit", people["x3"].user)
    assert response.status_code == 403
    assert "审计" in response.json()["message"]


def test_the_audit_trail_of_a_draft_is_404_for_a_villager(api, people, draft):
    assert api.get(f"/matters/{draft.pk}/audit", people["x3"].user).status_code == 404


def test_the_supervision_committee_reads_the_audit_trail(api, people, voting):
    assert api.get(f"/matters/{voting.pk}/audit", people["x1"].user).status_code == 200


def test_another_townships_inspector_gets_404_for_the_audit_trail(api, foreign_inspector, voting):
    response = api.get(f"/matters/{voting.pk}/audit", foreign_inspector)
    assert response.status_code == 404


# --- suggestions (村民说事) --------------------------------------------------------------------


def test_a_villager_submits_and_follows_a_suggestion(api, procedure, people):
    response = api.post("/suggestions", people["x2"].user, {"text": "村东头路灯坏了。"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["matter_id"]) == ("open", None)
    suggestion = Suggestion.objects.get(pk=created["id"])
    matter = services.suggestion_adopt(
        actor=procedure.actor,
        suggestion=suggestion,
        title="路灯维修",
        body="维修路灯",
        category="public_welfare_funding",
    )
    listed = api.get("/suggestions", people["x2"].user).json()
    assert [(s["id"], s["status"], s["matter_id"]) for s in listed] == [
        (suggestion.pk, "adopted", matter.pk)
    ]
    assert api.get("/suggestions", people["x3"].user).json() == []


def test_an_empty_suggestion_gets_400(api, people):
    response = api.post("/suggestions", people["x2"].user, {"text": ""})
    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_an_inspector_cannot_submit_a_suggestion(api, inspector):
    response = api.post("/suggestions", inspector, {"text": "巡查说事"})
    assert response.status_code == 403
    assert not Suggestion.objects.exists()


# --- query counts ----------------------------------------------------------------------------


def _public_matters(procedure, deliberation_world, n):
    for i in range(n):
        matter = procedure.to_vote(f"议题{i}")
        if i % 2:
            procedure.vote(matter, deliberation_world.people["r1"])


# token, matters, meetings, versions, the voted and listed sets, villager, roles (3)
LIST_QUERIES = 7
# token, matter, meetings, publications, versions, updates, roles, voted, listed (the villager
# comes with the roles: village.permissions.villager_of)
DETAIL_QUERIES = 9


@pytest.mark.parametrize("n", [2, 10])
def test_the_matter_list_takes_the_same_number_of_queries_for_2_and_10_matters(
    api, procedure, deliberation_world, django_assert_num_queries, n
):
    _public_matters(procedure, deliberation_world, n)
    user = deliberation_world.people["r1"].user
    api.get("/matters", user)  # warm-up: the token's last use is touched once
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get("/matters", user)
    listed = response.json()
    assert len(listed) == n
    assert sum(1 for m in listed if m["has_voted"]) == n // 2


def test_the_matter_detail_query_count_is_pinned(
    api, procedure, deliberation_world, django_assert_num_queries
):
    matter = procedure.to_vote()
    user = deliberation_world.people["r1"].user
    api.get(f"/matters/{matter.pk}", user)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = api.get(f"/matters/{matter.pk}", user)
    assert response.status_code == 200


# token, matter, roles (3), meeting locked, on the list, participation, sealed ballot, chain head
# locked, event, head sealed (a single vote is not copied into Wagtail's log), and the two
# savepoints of the test's transaction
VOTE_QUERIES = 12


def test_a_secret_vote_costs_a_pinned_number_of_queries(
    api, procedure, people, django_assert_num_queries
):
    matter = procedure.to_vote("2027年道路硬化筹资方案", ballot_mode=BallotMode.SECRET)
    procedure.vote(matter, people["r1"], "yes")  # the chain's head exists, as on a vote day
    api.get("/me", people["r2"].user)  # the token was used before
    with django_assert_num_queries(VOTE_QUERIES):
        response = api.post(f"/matters/{matter.pk}/vote", people["r2"].user, {"choice": "no"})
    assert response.status_code == 200
