"""党员亮身份 on the web: the member's page, the card form, commitments, visit notes and the
secretary's page — every door tried by the wrong person, bad input answered 400 with the reason,
and the pages' pinned query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory
from tests.support.party_world import build_party_world, photo
from village import services
from village.models import Commitment, CommitmentSet, PartyCard, PartyLink, VisitNote
from village.permissions import SYSTEM

# /party/ for a member: session, user, roles, card, sets (+ items), households, visits.
QUERIES_MINE = 9
QUERIES_CARD = 5  # /party/cards/<id>/: session, user, roles, the villager, the card
QUERIES_MANAGE = 12  # /party/<code>/manage/ for the secretary: links, board, areas, visits, sets


@pytest.fixture
def world(db):
    return build_party_world()


def login(client, world, key):
    client.force_login(world.users[key])
    return client


# --- the member's page and card ---------------------------------------------------------------


def test_member_page_for_members_and_cadres_only(client, world):
    assert login(client, world, "member").get("/party/").status_code == 200
    assert login(client, world, "officer").get("/party/").status_code == 200
    assert login(client, world, "plain").get("/party/").status_code == 403
    client.logout()
    assert client.get("/party/").status_code == 302  # to the login


def test_member_edits_own_card_on_the_web(client, world):
    login(client, world, "probationary")
    url = f"/party/cards/{world.probationary.pk}/"
    response = client.post(
        url,
        {
            "office_hours": "周三下午",
            "office_phone": "0531-2223334",
            "show_office_phone": "on",
            "photo": photo(),
            "show_photo": "on",
        },
    )
    assert response.status_code == 302
    card = PartyCard.objects.get(villager=world.probationary)
    assert card.show_photo and card.photo and card.shown_phone == "0531-2223334"
    board = client.get(f"/party/{world.village.code}/").content.decode()
    assert "0531-2223334" in board and "party-photo" in board


def test_villager_editing_someone_elses_card_is_403(client, world):
    url = f"/party/cards/{world.member.pk}/"
    login(client, world, "probationary")
    assert client.get(url).status_code == 403
    assert client.post(url, {"office_hours": "x"}).status_code == 403
    login(client, world, "other_secretary")
    assert client.post(url, {"office_hours": "x"}).status_code == 404
    assert world.member.party_card.office_hours == "每周一上午在党群服务中心"


def test_secretary_edits_any_card(client, world):
    login(client, world, "secretary")
    response = client.post(f"/party/cards/{world.officer.pk}/", {"office_hours": "周五"})
    assert response.status_code == 302
    assert PartyCard.objects.get(villager=world.officer).office_hours == "周五"


def test_bad_card_input_is_400_with_the_reason(client, world):
    login(client, world, "member")
    url = f"/party/cards/{world.member.pk}/"
    response = client.post(url, {"office_phone": "打我电话", "show_office_phone": "on"})
    assert response.status_code == 400
    assert "办公电话只能填数字" in response.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("a.jpg", b"not a picture at all", content_type="image/jpeg")
    response = client.post(url, {"office_hours": "周一", "photo": fake})
    assert response.status_code == 400
    assert "JPEG" in response.content.decode()
    assert world.member.party_card.office_hours == "每周一上午在党群服务中心"


# --- commitments ------------------------------------------------------------------------------


def test_member_adds_edits_and_withdraws_on_the_web(client, world):
    login(client, world, "member")
    year = timezone.localdate().year
    assert client.post("/party/commitments/add/", {"year": year, "text": "带头"}).status_code == 302
    item = Commitment.objects.get()
    url = f"/party/commitments/{item.pk}/"
    assert client.post(url, {"text": "带头垃圾分类"}).status_code == 302
    assert client.post(url, {"withdraw": "1", "reason": ""}).status_code == 400
    assert client.post(url, {"withdraw": "1", "reason": "重写"}).status_code == 302
    item.refresh_from_db()
    assert item.text == "带头垃圾分类" and item.withdrawn_reason == "重写"


def test_non_member_writing_commitments_on_the_web_is_403(client, world):
    year = timezone.localdate().year
    for key in ("officer", "plain"):
        response = login(client, world, key).post(
            "/party/commitments/add/", {"year": year, "text": "x"}
        )
        assert response.status_code == 403
    assert not CommitmentSet.objects.exists()


def test_someone_elses_commitment_on_the_web_is_403(client, world):
    item = services.commitment_add(
        actor=world.users["member"], year=timezone.localdate().year, text="x"
    )
    response = login(client, world, "probationary").post(
        f"/party/commitments/{item.pk}/", {"text": "y"}
    )
    assert response.status_code == 403


# --- visits and the secretary's page ----------------------------------------------------------


def test_member_records_a_visit_and_the_secretary_reads_it(client, world):
    login(client, world, "member")
    response = client.post(
        "/party/visits/add/",
        {
            "household": world.home.pk,
            "visited_on": timezone.localdate().isoformat(),
            "text": "看望独居老人",
        },
    )
    assert response.status_code == 302
    assert "看望独居老人" in client.get("/party/").content.decode()
    page = login(client, world, "secretary").get(f"/party/{world.village.code}/manage/")
    assert "看望独居老人" in page.content.decode()
    # Never on the public board, never to another household.
    client.logout()
    assert "看望独居老人" not in client.get(f"/party/{world.village.code}/").content.decode()
    login(client, world, "neighbour_resident")
    assert "看望独居老人" not in client.get("/me/").content.decode()


def test_visit_to_a_household_not_served_is_403(client, world):
    login(client, world, "member")
    response = client.post(
        "/party/visits/add/",
        {"household": world.far.pk, "visited_on": timezone.localdate().isoformat(), "text": "x"},
    )
    assert response.status_code == 403
    response = client.post(
        "/party/visits/add/",
        {"household": world.home.pk, "visited_on": "", "text": "x"},
    )
    assert response.status_code == 400
    assert not VisitNote.objects.exists()


def test_manage_page_doors(client, world):
    url = f"/party/{world.village.code}/manage/"
    assert login(client, world, "member").get(url).status_code == 403
    assert login(client, world, "other_secretary").get(url).status_code == 404
    assert login(client, world, "branch").get(url).status_code == 200
    assert login(client, world, "secretary").get(url).status_code == 200


def test_secretary_assigns_on_the_web_and_bad_input_is_400(client, world):
    login(client, world, "secretary")
    url = f"/party/{world.village.code}/links/add/"
    response = client.post(url, {"member": world.branch.pk, "household": world.far.number})
    assert response.status_code == 302
    assert PartyLink.objects.filter(member=world.branch, household=world.far).exists()
    response = client.post(url, {"member": world.branch.pk, "household": "NO-SUCH"})
    assert response.status_code == 400 and "NO-SUCH" in response.content.decode()
    response = client.post(url, {"member": world.plain.pk, "area": world.area1.pk})
    assert response.status_code == 400
    other = HouseholdFactory(village=world.neighbour)
    response = client.post(url, {"member": world.branch.pk, "household": other.number})
    assert response.status_code == 400
    assert PartyLink.objects.count() == 3
    login(client, world, "branch")
    assert client.post(url, {"member": world.branch.pk, "area": world.area1.pk}).status_code == 403


def test_secretary_ends_an_assignment(client, world):
    login(client, world, "secretary")
    response = client.post(
        f"/party/links/{world.link_home.pk}/end/", {"end": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    world.link_home.refresh_from_db()
    assert world.link_home.end == timezone.localdate()
    login(client, world, "member")
    assert client.post(f"/party/links/{world.link_area.pk}/end/", {}).status_code == 403


def test_branch_notes_fulfilment_on_the_web(client, world):
    found = CommitmentSet.objects.create(
        village=world.village, member=world.member, year=timezone.localdate().year - 1
    )
    found.items.create(text="带头移风易俗")
    url = f"/party/commitment-sets/{found.pk}/fulfilment/"
    assert login(client, world, "member").post(url, {"fulfilment": "fulfilled"}).status_code == 403
    login(client, world, "branch")
    assert client.post(url, {"fulfilment": "fulfilled", "note": ""}).status_code == 400
    assert client.post(url, {"fulfilment": "fulfilled", "note": "兑现"}).status_code == 302
    board = client.get(f"/party/{world.village.code}/").content.decode()
    assert "已兑现" in board


# --- pinned query counts ----------------------------------------------------------------------


def _grow(world, n=5):
    year = timezone.localdate().year
    for i in range(n):
        household = HouseholdFactory(village=world.village, area=world.area1)
        services.party_link_create(
            actor=SYSTEM,
            village=world.village,
            member=world.member,
            household=household,
            start=timezone.localdate() - timedelta(days=3),
        )
        services.visit_note_for(
            actor=SYSTEM,
            member=world.member,
            household=household,
            visited_on=timezone.localdate(),
            text=f"走访{i}",
        )
        services.commitment_add(actor=world.users["member"], year=year, text=f"承诺{i}")


@pytest.mark.parametrize(
    ("key", "path", "expected"),
    [
        ("member", "/party/", QUERIES_MINE),
        ("member", "/party/cards/{member}/", QUERIES_CARD),
        ("secretary", "/party/{code}/manage/", QUERIES_MANAGE),
    ],
)
def test_page_query_counts(client, world, django_assert_num_queries, key, path, expected):
    url = path.format(member=world.member.pk, code=world.village.code)
    services.commitment_add(actor=world.users["member"], year=timezone.localdate().year, text="a")
    services.visit_note_record(
        actor=world.users["member"],
        household=world.home,
        visited_on=timezone.localdate(),
        text="v",
    )
    login(client, world, key).get(url)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _grow(world)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_manage_page_with_a_bad_year_shows_this_year(client, world):
    login(client, world, "secretary")
    for year in ("abc", "-1", "99999"):
        response = client.get(f"/party/{world.village.code}/manage/?year={year}")
        assert response.status_code == 200
        assert f"{timezone.localdate().year}年党员承诺" in response.content.decode()


def test_board_links_own_pages_for_members_and_card_edits_for_the_secretary(client, world):
    url = f"/party/{world.village.code}/"
    page = client.get(url).content.decode()
    assert "我的名片与承诺" not in page and "修改名片" not in page
    page = login(client, world, "probationary").get(url).content.decode()
    assert "我的名片与承诺" in page and "修改名片" not in page
    page = login(client, world, "secretary").get(url).content.decode()
    assert f"/party/cards/{world.member.pk}/" in page and "包联与承诺评议" in page
    page = login(client, world, "resident").get(url).content.decode()
    assert "我的名片与承诺" not in page and "包联与承诺评议" not in page
