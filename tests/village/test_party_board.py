"""党员亮身份: the public board of a village (web and API), what it shows and what it never shows,
and 我的包联党员 on 我的户 — with their pinned query counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory, VillagerFactory
from tests.support.party_world import build_party_world, photo
from village import services
from village.models import CommitmentSet, PartyMembership
from village.permissions import SYSTEM

# The board page: the village, the offices held today, the people with their cards and areas,
# the commitment sets of this year and the last with their items. The same for 3 or 30 people.
QUERIES_BOARD_PAGE = 5
QUERIES_BOARD_API = 5
# 我的户 for a villager (session, user, roles, household, members, proxies, villages, and the
# one query of 我的包联党员).
QUERIES_ME_SECTION = 1


@pytest.fixture
def world(db):
    return build_party_world()


def board_url(world):
    return f"/party/{world.village.code}/"


def test_board_shows_members_and_cadres_with_posts_and_probationary_marked(client, world):
    page = client.get(board_url(world)).content.decode()
    for key in ("secretary", "branch", "officer", "member", "probationary"):
        assert world.people[key].name in page
    assert world.resident.name not in page
    assert world.plain.name not in page
    assert "党支部书记" in page
    assert "网格员（东一片）" in page
    cards = re.findall(r'data-testid="party-card"[^>]*>.*?</li>', page, re.S)
    probationary = next(c for c in cards if world.probationary.name in c)
    assert "预备党员" in probationary and "party-tag-probationary" in probationary
    member = next(c for c in cards if world.member.name in c)
    assert "正式党员" in member and "预备党员" not in member
    # The secretary first.
    assert page.index(world.secretary.name) < page.index(world.member.name)


def test_board_shows_office_hours_and_a_phone_only_when_chosen(client, world):
    page = client.get(board_url(world)).content.decode()
    assert "每周一上午在党群服务中心" in page
    assert "0531-8765001" in page
    services.party_card_update(actor=SYSTEM, villager=world.member, show_office_phone=False)
    page = client.get(board_url(world)).content.decode()
    assert "0531-8765001" not in page
    assert "每周一上午在党群服务中心" in page


def _private_values(villager) -> list[str]:
    return [
        villager.id_number,
        villager.id_number[-8:],
        villager.masked_id_number,
        villager.phone,
        villager.household.address,
        villager.birth_date.isoformat(),
        villager.household.number,
    ]


def test_no_private_field_of_anyone_on_the_board_web_or_api(client, world):
    """Crawl the board, web and API, and look for every private field of every villager."""
    # A secretary's card with an office phone not chosen to be shown.
    services.party_card_update(actor=SYSTEM, villager=world.secretary, office_phone="0531-1111222")
    web = client.get(board_url(world)).content.decode()
    api = client.get(f"/api/v1/villages/{world.village.pk}/party-board").content.decode("utf-8")
    everyone = [v for v in world.people.values() if v.village_id == world.village.pk]
    for villager in everyone:
        for value in _private_values(villager):
            assert value not in web, (villager.name, value)
            assert value not in api, (villager.name, value)
    assert "0531-1111222" not in web and "0531-1111222" not in api
    assert "id_number" not in api and "address" not in api


def test_photo_shown_only_when_opted_in(client, world):
    services.party_card_update(actor=SYSTEM, villager=world.member, photo=photo())
    page = client.get(board_url(world)).content.decode()
    assert "party-photo" not in page
    card = world.member.party_card
    card.refresh_from_db()
    # The file itself is not public while the photo is not shown.
    assert client.get(card.photo.url).status_code == 404
    services.party_card_update(actor=SYSTEM, villager=world.member, show_photo=True)
    page = client.get(board_url(world)).content.decode()
    assert "party-photo" in page
    assert client.get(card.photo.url).status_code == 200


def test_board_of_an_unknown_village_is_404(client, world):
    assert client.get("/party/no-such-village/").status_code == 404
    assert client.get("/api/v1/villages/999999/party-board").status_code == 404


def test_board_shows_commitments_withdrawn_marked_and_the_branch_note(client, world):
    year = timezone.localdate().year
    client.force_login(world.users["member"])
    kept = services.commitment_add(actor=world.users["member"], year=year, text="带头垃圾分类")
    gone = services.commitment_add(actor=world.users["member"], year=year, text="每月走访两次")
    services.commitment_withdraw(actor=world.users["member"], commitment=gone, reason="改为每周")
    last = CommitmentSet.objects.create(village=world.village, member=world.member, year=year - 1)
    last.items.create(text="带头移风易俗")
    services.commitment_fulfilment_note(
        actor=world.users["secretary"], commitment_set=last, fulfilment="fulfilled", note="全部兑现"
    )
    page = client.get(board_url(world)).content.decode()
    assert kept.text in page
    assert re.search(r'class="withdrawn">每月走访两次.*?已撤回：改为每周', page, re.S)
    assert "带头移风易俗" in page and "已兑现" in page and "全部兑现" in page


def test_board_query_count_does_not_grow_with_the_village(client, world, django_assert_num_queries):
    url = board_url(world)
    services.commitment_add(
        actor=world.users["member"], year=timezone.localdate().year, text="带头"
    )
    client.get(url)
    with django_assert_num_queries(QUERIES_BOARD_PAGE):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(QUERIES_BOARD_API):
        assert client.get(f"/api/v1/villages/{world.village.pk}/party-board").status_code == 200
    year = timezone.localdate().year
    for n in range(12):
        household = HouseholdFactory(village=world.village, area=world.area1)
        person = VillagerFactory(household=household, party_membership=PartyMembership.FULL)
        services.party_card_update(actor=SYSTEM, villager=person, office_hours=f"周{n}")
        found = CommitmentSet.objects.create(village=world.village, member=person, year=year)
        found.items.create(text=f"承诺{n}")
    with django_assert_num_queries(QUERIES_BOARD_PAGE):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(QUERIES_BOARD_API):
        assert client.get(f"/api/v1/villages/{world.village.pk}/party-board").status_code == 200


# --- 我的户: 我的包联党员 ------------------------------------------------------------------------


def test_household_sees_its_member_and_how_to_reach_them(client, world):
    client.force_login(world.users["resident"])
    page = client.get("/me/").content.decode()
    assert "我的包联党员" in page
    assert world.member.name in page
    assert "每周一上午在党群服务中心" in page and "0531-8765001" in page
    assert world.probationary.name not in page  # serves the other area


def test_household_covered_through_its_area_sees_the_area_member(client, world):
    client.force_login(world.users["neighbour_resident"])
    page = client.get("/me/").content.decode()
    assert world.probationary.name in page
    assert "包联西二片" in page
    assert world.member.name not in page


def test_an_ended_assignment_leaves_the_page(client, world):
    services.party_link_end(
        actor=world.users["secretary"],
        link=world.link_home,
        end=timezone.localdate() - timedelta(days=1),
    )
    client.force_login(world.users["resident"])
    assert "我的包联党员" not in client.get("/me/").content.decode()


def _party_queries(client, url) -> tuple[list, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url).content.decode()
    return [q for q in captured.captured_queries if "village_partylink" in q["sql"]], body


def test_me_section_costs_one_query(client, world):
    """我的包联党员 is one query on 我的户, for a household served and for one nobody serves."""
    client.force_login(world.users["resident"])
    served, body = _party_queries(client, "/me/")
    assert "我的包联党员" in body
    assert len(served) == QUERIES_ME_SECTION
    client.force_login(world.users["plain"])
    unserved, body = _party_queries(client, "/me/")
    assert "我的包联党员" not in body
    assert len(unserved) == QUERIES_ME_SECTION


def test_my_party_contacts_api(client, world):
    from tests.support.api_tokens import bearer

    headers = bearer(client, "p_far")
    found = client.get("/api/v1/me/party-contacts", **headers).json()
    assert [c["name"] for c in found] == [world.probationary.name]
    assert found[0]["through_area"] == "西二片"
