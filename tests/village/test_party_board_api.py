"""党员亮身份 in the API: every door tried with the wrong person, bad input, and the pinned query
counts of each list endpoint."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, HouseholdFactory
from tests.support.api_tokens import bearer
from tests.support.party_world import build_party_world, photo
from village import services
from village.models import CommitmentSet, PartyLink, VisitNote
from village.permissions import SYSTEM

# Token (with its user), the village, the list itself (+ its prefetch); a member's lists also
# read their villager record.
QUERIES_LINKS_SECRETARY = 3
QUERIES_VISITS_SECRETARY = 3
QUERIES_VISITS_MEMBER = 4
QUERIES_MY_COMMITMENTS = 4
QUERIES_VILLAGE_COMMITMENTS = 4
QUERIES_CONTACTS = 3


@pytest.fixture
def world(db):
    return build_party_world()


@pytest.fixture
def api(client):
    tokens = {}

    def call(method, url, username=None, **body):
        headers = {}
        if username:
            if username not in tokens:
                tokens[username] = bearer(client, username, PASSWORD)
            headers = tokens[username]
        if method == "get":
            return client.get(url, **headers)
        return client.post(url, body, content_type="application/json", **headers)

    return call


def _set_password(world):
    for user in world.users.values():
        user.set_password(PASSWORD)
        user.save()


@pytest.fixture
def people(world):
    _set_password(world)
    return world


# --- cards ------------------------------------------------------------------------------------


def test_member_edits_own_card(api, people):
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", "p_member", office_hours="周二")
    assert r.status_code == 200 and r.json()["office_hours"] == "周二"


def test_villager_editing_someone_elses_card_is_403(api, people):
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", "p_probationary", office_hours="x")
    assert r.status_code == 403
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", "p_resident", office_hours="x")
    assert r.status_code == 403
    assert people.member.party_card.office_hours == "每周一上午在党群服务中心"


def test_card_of_another_village_is_404(api, people):
    r = api(
        "post", f"/api/v1/party/cards/{people.member.pk}", "p_other_secretary", office_hours="x"
    )
    assert r.status_code == 404
    r = api("post", "/api/v1/party/cards/999999", "p_member", office_hours="x")
    assert r.status_code == 404


def test_bad_card_input_is_400_with_a_message(api, people):
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", "p_member", office_phone="电话")
    assert r.status_code == 400 and "办公电话" in r.json()["message"]
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", "p_member", show_photo="maybe")
    assert r.status_code == 422


def test_photo_upload_checked(client, people):
    headers = bearer(client, "p_member", PASSWORD)
    url = f"/api/v1/party/cards/{people.member.pk}/photo?show=true"
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.png", b"GIF89a not allowed", content_type="image/png")
    assert client.post(url, {"photo": bad}, **headers).status_code == 400
    r = client.post(url, {"photo": photo()}, **headers)
    assert r.status_code == 200 and r.json()["show_photo"] and r.json()["has_photo"]


def test_anonymous_writes_are_401(api, people):
    r = api("post", f"/api/v1/party/cards/{people.member.pk}", None, office_hours="x")
    assert r.status_code == 401
    assert api("post", "/api/v1/party/commitments", None, year=2026, text="x").status_code == 401


# --- commitments ------------------------------------------------------------------------------


def test_member_writes_and_reads_commitments(api, people):
    year = timezone.localdate().year
    r = api("post", "/api/v1/party/commitments", "p_member", year=year, text="带头垃圾不落地")
    assert r.status_code == 201
    item = r.json()["id"]
    r = api("post", f"/api/v1/party/commitments/{item}", "p_member", text="带头垃圾分类")
    assert r.status_code == 200
    r = api("post", f"/api/v1/party/commitments/{item}/withdraw", "p_member", reason="重写")
    assert r.json()["withdrawn"] is True
    sets = api("get", "/api/v1/party/commitments", "p_member").json()
    assert sets[0]["year"] == year and sets[0]["items"][0]["withdrawn_reason"] == "重写"


def test_non_member_writing_commitments_is_403(api, people):
    year = timezone.localdate().year
    for username in ("p_officer", "p_resident", "p_plain"):
        r = api("post", "/api/v1/party/commitments", username, year=year, text="x")
        assert r.status_code == 403, username
    assert not CommitmentSet.objects.exists()


def test_someone_elses_commitment_is_403_and_another_villages_404(api, people):
    year = timezone.localdate().year
    item = api("post", "/api/v1/party/commitments", "p_member", year=year, text="x").json()["id"]
    r = api("post", f"/api/v1/party/commitments/{item}", "p_probationary", text="y")
    assert r.status_code == 403
    r = api("post", f"/api/v1/party/commitments/{item}/withdraw", "p_other_secretary", reason="r")
    assert r.status_code == 404


def test_bad_commitment_input(api, people):
    r = api("post", "/api/v1/party/commitments", "p_member", year=1999, text="x")
    assert r.status_code == 400 and "今年或明年" in r.json()["message"]
    r = api("post", "/api/v1/party/commitments", "p_member", year="soon", text="x")
    assert r.status_code == 422
    r = api(
        "post", "/api/v1/party/commitments", "p_member", year=timezone.localdate().year, text=""
    )
    assert r.status_code == 400


def test_fulfilment_by_the_branch_only(api, people):
    found = CommitmentSet.objects.create(
        village=people.village, member=people.member, year=timezone.localdate().year - 1
    )
    found.items.create(text="带头移风易俗")
    url = f"/api/v1/party/commitment-sets/{found.pk}/fulfilment"
    body = {"fulfilment": "fulfilled", "note": "全部兑现"}
    assert api("post", url, "p_member", **body).status_code == 403
    assert api("post", url, "p_other_secretary", **body).status_code == 404
    assert api("post", url, "p_branch", fulfilment="nope", note="x").status_code == 400
    r = api("post", url, "p_branch", **body)
    assert r.status_code == 200 and r.json()["noted"] is True


# --- 包联 -------------------------------------------------------------------------------------


def test_secretary_assigns_and_ends(api, people):
    url = f"/api/v1/villages/{people.village.pk}/party-links"
    r = api(
        "post",
        url,
        "p_secretary",
        member=people.branch.pk,
        household=people.far.pk,
        start=timezone.localdate().isoformat(),
    )
    assert r.status_code == 201, r.content
    link = r.json()["id"]
    r = api(
        "post",
        f"/api/v1/party-links/{link}/end",
        "p_secretary",
        end=timezone.localdate().isoformat(),
    )
    assert r.status_code == 200 and r.json()["end"] == timezone.localdate().isoformat()
    assert PartyLink.objects.filter(pk=link).exists()


def test_assignment_doors(api, people):
    url = f"/api/v1/villages/{people.village.pk}/party-links"
    body = {
        "member": people.branch.pk,
        "household": people.far.pk,
        "start": timezone.localdate().isoformat(),
    }
    assert api("post", url, "p_member", **body).status_code == 403
    assert api("post", url, "p_other_secretary", **body).status_code == 404
    foreign = HouseholdFactory(village=people.neighbour)
    r = api("post", url, "p_secretary", **{**body, "household": foreign.pk})
    assert r.status_code == 400
    r = api("post", url, "p_secretary", **{**body, "start": "yesterday"})
    assert r.status_code == 422
    assert api("get", url, "p_other_secretary").status_code == 404
    assert api("get", url, "p_resident").status_code == 200  # a villager: their own, none
    assert api("get", url, "p_resident").json() == []


def test_member_lists_only_own_assignments(api, people):
    url = f"/api/v1/villages/{people.village.pk}/party-links"
    mine = api("get", url, "p_member").json()
    assert [link["household_id"] for link in mine] == [people.home.pk]
    every = api("get", url, "p_secretary").json()
    assert len(every) == 2


# --- visit notes ------------------------------------------------------------------------------


def _visit(api, username, household, text="走访了解情况"):
    return api(
        "post",
        "/api/v1/party-visits",
        username,
        household=household.pk,
        visited_on=timezone.localdate().isoformat(),
        text=text,
    )


def test_member_writes_the_secretary_reads_others_do_not(api, people):
    assert _visit(api, "p_member", people.home, "家中老人身体好").status_code == 201
    assert _visit(api, "p_probationary", people.far, "西二片用水").status_code == 201
    url = f"/api/v1/villages/{people.village.pk}/party-visits"
    assert {v["text"] for v in api("get", url, "p_secretary").json()} == {
        "家中老人身体好",
        "西二片用水",
    }
    assert [v["text"] for v in api("get", url, "p_member").json()] == ["家中老人身体好"]
    # A household never reads the notes of another household (nor the list of the village).
    assert api("get", url, "p_far").status_code == 200
    assert api("get", url, "p_far").json() == []
    assert api("get", url, "p_other_secretary").status_code == 404
    assert api("get", url, None).status_code == 401


def test_visit_doors(api, people):
    assert _visit(api, "p_member", people.far).status_code == 403  # not theirs
    assert _visit(api, "p_resident", people.home).status_code == 403
    foreign = HouseholdFactory(village=people.neighbour)
    assert _visit(api, "p_member", foreign).status_code == 404
    r = api(
        "post",
        "/api/v1/party-visits",
        "p_member",
        household=people.home.pk,
        visited_on=(timezone.localdate() + timedelta(days=3)).isoformat(),
        text="x",
    )
    assert r.status_code == 400
    assert not VisitNote.objects.exists()


# --- pinned query counts ----------------------------------------------------------------------


def _more(people, n=6):
    """More assignments, visits and commitments: the lists cost the same."""
    year = timezone.localdate().year
    for i in range(n):
        household = HouseholdFactory(village=people.village, area=people.area1)
        services.party_link_create(
            actor=SYSTEM,
            village=people.village,
            member=people.member,
            household=household,
            start=timezone.localdate() - timedelta(days=3),
        )
        services.visit_note_for(
            actor=SYSTEM,
            member=people.member,
            household=household,
            visited_on=timezone.localdate(),
            text=f"第{i}次",
        )
        services.commitment_add(actor=people.users["member"], year=year, text=f"承诺{i}")


@pytest.mark.parametrize(
    ("username", "path", "expected"),
    [
        ("p_secretary", "/api/v1/villages/{v}/party-links", QUERIES_LINKS_SECRETARY),
        ("p_secretary", "/api/v1/villages/{v}/party-visits", QUERIES_VISITS_SECRETARY),
        ("p_member", "/api/v1/villages/{v}/party-visits", QUERIES_VISITS_MEMBER),
        ("p_member", "/api/v1/party/commitments", QUERIES_MY_COMMITMENTS),
        ("p_secretary", "/api/v1/villages/{v}/party-commitments", QUERIES_VILLAGE_COMMITMENTS),
        ("p_resident", "/api/v1/me/party-contacts", QUERIES_CONTACTS),
    ],
)
def test_list_query_counts(client, people, django_assert_num_queries, username, path, expected):
    url = path.format(v=people.village.pk)
    headers = bearer(client, username, PASSWORD)
    services.commitment_add(actor=people.users["member"], year=timezone.localdate().year, text="a")
    services.visit_note_record(
        actor=people.users["member"],
        household=people.home,
        visited_on=timezone.localdate(),
        text="v",
    )
    client.get(url, **headers)
    with django_assert_num_queries(expected):
        assert client.get(url, **headers).status_code == 200
    _more(people)
    with django_assert_num_queries(expected):
        assert client.get(url, **headers).status_code == 200
