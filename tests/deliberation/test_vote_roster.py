"""The vote's should-attend list on the matter's admin page, a page at a time: paging, a search
that finds people on any page, and "select all matching" acting on every page of the filtered
list (not only the rows shown) — attendance marked, and in an open ballot the choice given."""

import pytest
from django.urls import reverse

from deliberation import admin_views, selectors
from deliberation.models import Ballot, BallotMode, DecidingBody
from tests.factories import AreaFactory
from village.models import Household

pytestmark = pytest.mark.django_db

PER_PAGE = 10  # the world's villagers' meeting has 28 adults: three pages


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(admin_views, "VOTERS_PER_PAGE", PER_PAGE)


@pytest.fixture
def secretary(client, deliberation_world):
    client.force_login(deliberation_world.secretary.user)
    return client


def villagers_vote(procedure, **fields):
    matter = procedure.to_vote(deciding_body=DecidingBody.VILLAGERS_MEETING, **fields)
    return matter, selectors.current_vote_meeting(matter)


def listed(meeting):
    """The should-attend people in the list's order."""
    rows = meeting.attendance.select_related("villager__household")
    return [a.villager for a in rows.order_by("villager__household__number", "villager_id")]


def page_of(client, matter, **params):
    response = client.get(reverse("deliberation_admin_matter", args=[matter.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def hall_url(matter):
    return reverse("deliberation_admin_hall", args=[matter.pk])


def test_the_vote_list_is_shown_a_page_at_a_time(secretary, procedure):
    matter, meeting = villagers_vote(procedure)
    people = listed(meeting)
    assert len(people) == 28
    first = page_of(secretary, matter)
    assert first.count('name="household_') == PER_PAGE
    assert "符合条件 28 人，第 1/3 页" in first
    assert f'name="present_{people[0].pk}"' in first
    assert f'name="present_{people[-1].pk}"' not in first
    last = page_of(secretary, matter, page=3)
    assert last.count('name="household_') == 8
    assert f'name="present_{people[-1].pk}"' in last
    # A page beyond the last shows the last one.
    assert page_of(secretary, matter, page=99).count('name="household_') == 8


def test_a_search_finds_people_on_any_page(secretary, procedure):
    matter, meeting = villagers_vote(procedure)
    someone = listed(meeting)[-1]  # on the last page of the unfiltered list
    by_name = page_of(secretary, matter, q=someone.name)
    assert f'name="present_{someone.pk}"' in by_name
    assert "第 1/1 页" in by_name
    household = someone.household
    by_number = page_of(secretary, matter, q=household.number)
    members = meeting.attendance.filter(villager__household=household).count()
    assert by_number.count('name="household_') == members
    assert f'name="present_{someone.pk}"' in by_number
    area = page_of(secretary, matter, area=household.area_id)
    in_area = meeting.attendance.filter(villager__household__area=household.area).count()
    assert f"符合条件 {in_area} 人" in area


def test_select_all_matching_marks_everyone_on_every_page(secretary, procedure, people):
    matter, meeting = villagers_vote(procedure)
    procedure.vote(matter, people["r1"])  # voted online: present, not voted again
    first = listed(meeting)[0]
    response = secretary.post(
        hall_url(matter),
        {
            "all_matching": "1",
            "all_matching_choice": "yes",
            f"present_{first.pk}": "on",
            f"vote_{first.pk}": "no",  # a choice of one's own wins
            "page": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?page=1")
    assert meeting.attendance.filter(present=True).count() == 28
    cast = Ballot.cast.filter(meeting=meeting)
    assert cast.count() == 28
    assert cast.filter(choice="yes", channel="hall").count() == 26
    assert cast.get(voter=first).choice == "no"
    assert cast.get(voter=people["r1"]).channel == "online"
    # Nobody is left to tick: the box is gone.
    assert 'name="all_matching"' not in page_of(secretary, matter)


def test_select_all_matching_keeps_to_the_filter(secretary, procedure):
    matter, meeting = villagers_vote(procedure)
    household = listed(meeting)[-1].household
    area = AreaFactory(parent=household.area.parent).pk
    Household.objects.filter(pk=household.pk).update(area=area)
    expected = set(
        meeting.attendance.filter(villager__household__area_id=area).values_list(
            "villager_id", flat=True
        )
    )
    assert 0 < len(expected) < 28
    response = secretary.post(
        hall_url(matter), {"all_matching": "1", "area": str(area), "q": "", "page": "2"}
    )
    assert response["Location"].endswith(f"?area={area}&page=2")
    marked = set(meeting.attendance.filter(present=True).values_list("villager_id", flat=True))
    assert marked == expected
    # Without a choice for them all, attendance only: nobody's vote is made up.
    assert not Ballot.cast.filter(meeting=meeting).exists()


def test_select_all_matching_in_a_secret_ballot_counts_the_paper_tally(
    secretary, procedure, people
):
    matter, meeting = villagers_vote(procedure, ballot_mode=BallotMode.SECRET)
    procedure.vote(matter, people["r1"])
    page = page_of(secretary, matter)
    assert "尚未登记出席的 28 人" in page and "其中尚未投票 27 人" in page
    wrong = secretary.post(hall_url(matter), {"all_matching": "1", "tally_yes": "3"}, follow=True)
    assert "纸质票总数（3）必须等于本次登记的会场投票人数（27）" in wrong.content.decode()
    assert not meeting.attendance.filter(present=True).exists()
    secretary.post(hall_url(matter), {"all_matching": "1", "tally_yes": "20", "tally_no": "7"})
    assert meeting.attendance.filter(present=True).count() == 28
    assert Ballot.cast.filter(meeting=meeting, channel="hall").count() == 27
