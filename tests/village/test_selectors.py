"""Who belongs to body B of village V on date D — the source of every should-attend list."""

from datetime import date, timedelta

import pytest

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    VillageFactory,
    VillagerFactory,
)
from tests.support.rules import amend
from village.models import Villager
from village.selectors import Body, body_members, households_represented

D = date(2025, 6, 1)  # the meeting date
TERM = date(2021, 3, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    return VillageFactory()


@pytest.fixture
def area(village):
    return AreaFactory(parent__village=village)


@pytest.fixture
def person(village, area):
    """A villager of `village` in a household of their own (or the one given)."""

    def make(household=None, **fields):
        household = household or HouseholdFactory(village=village, area=area)
        return VillagerFactory(household=household, **fields)

    return make


def role(villager, name, start=TERM, end=None, grid=None):
    if name == "grid_officer" and grid is None:
        grid = villager.household.area
    return MembershipFactory(villager=villager, role=name, start=start, end=end, grid=grid)


def members(village, body, on=D):
    return set(body_members(village=village, body=body, on=on))


def test_branch_committee_is_the_secretary_and_the_branch_members_serving_on_the_date(
    village, person
):
    secretary = person()
    role(secretary, "secretary")
    serving = person()
    role(serving, "branch_committee")
    last_day = person()
    role(last_day, "branch_committee", end=D)
    first_day = person()
    role(first_day, "branch_committee", start=D)
    starts_later = person()
    role(starts_later, "branch_committee", start=D + timedelta(days=1))
    ended_before = person()
    role(ended_before, "branch_committee", end=D - timedelta(days=1))
    committee_only = person()
    role(committee_only, "village_committee")
    officer = person()
    role(officer, "grid_officer")

    assert members(village, Body.BRANCH_COMMITTEE) == {secretary, serving, last_day, first_day}


def test_village_committee_is_its_members_serving_on_the_date(village, person):
    chair = person()
    role(chair, "village_committee")
    old = person()
    role(old, "village_committee", start=date(2018, 1, 1), end=date(2020, 12, 31))
    branch = person()
    role(branch, "branch_committee")
    assert members(village, Body.VILLAGE_COMMITTEE) == {chair}
    assert members(village, Body.VILLAGE_COMMITTEE, on=date(2019, 6, 1)) == {old}


def test_two_committees_counts_a_cadre_on_both_once(village, person):
    secretary = person()
    role(secretary, "secretary")
    role(secretary, "village_committee")  # 一肩挑
    branch = person()
    role(branch, "branch_committee")
    committee = person()
    role(committee, "village_committee")
    supervisor = person()
    role(supervisor, "supervision")

    result = list(body_members(village=village, body=Body.TWO_COMMITTEES, on=D))
    assert len(result) == 3
    assert set(result) == {secretary, branch, committee}


def test_supervision_committee_is_its_members_serving_on_the_date(village, person):
    supervisor = person()
    role(supervisor, "supervision")
    former = person()
    role(former, "supervision", end=D - timedelta(days=1))
    secretary = person()
    role(secretary, "secretary")
    assert members(village, Body.SUPERVISION) == {supervisor}


def test_party_members_are_full_members_only(village, person):
    full = person(party_membership="full")
    person(party_membership="probationary")
    person(party_membership="none")
    person(party_membership="full", status="moved_out")
    person(party_membership="full", status="deceased")
    assert members(village, Body.PARTY_MEMBERS) == {full}


def test_villagers_are_adults_on_the_meeting_date(village, person):
    eighteen_today = person(birth_date=date(2007, 6, 1))
    eighteen_tomorrow = person(birth_date=date(2007, 6, 2))
    elder = person(birth_date=date(1950, 1, 1))
    person(birth_date=date(2015, 1, 1))
    person(birth_date=date(1960, 1, 1), status="moved_out")
    person(birth_date=date(1930, 1, 1), status="deceased")

    assert members(village, Body.VILLAGERS) == {eighteen_today, elder}
    assert eighteen_tomorrow in members(village, Body.VILLAGERS, on=D + timedelta(days=1))


def test_villagers_follow_the_adult_age_of_the_village_rule_set(village, person):
    nineteen = person(birth_date=date(2006, 3, 1))
    twenty = person(birth_date=date(2005, 6, 1))
    assert members(village, Body.VILLAGERS) == {nineteen, twenty}

    amend(village, adult_age=20)
    assert members(village, Body.VILLAGERS) == {twenty}


def test_villager_born_on_29_february_joins_the_meeting_from_1_march(village, person):
    leapling = person(birth_date=date(2008, 2, 29))
    assert leapling not in members(village, Body.VILLAGERS, on=date(2026, 2, 28))
    assert leapling in members(village, Body.VILLAGERS, on=date(2026, 3, 1))


def test_meeting_on_29_february_counts_the_same_adults_as_is_adult_on(village, person):
    """On 29 Feb 2024, someone born 1 Mar 2006 turns 18 only the next day."""
    day = date(2024, 2, 29)
    born_28_feb = person(birth_date=date(2006, 2, 28))
    born_1_mar = person(birth_date=date(2006, 3, 1))
    result = members(village, Body.VILLAGERS, on=day)
    assert born_28_feb.is_adult_on(day) and born_28_feb in result
    assert not born_1_mar.is_adult_on(day)
    assert born_1_mar not in result


def test_representatives_are_those_in_term_and_the_village_committee(village, person):
    rep = person(
        is_representative=True, representative_from=TERM, representative_to=date(2026, 12, 31)
    )
    open_term = person(is_representative=True, representative_from=TERM)
    person(is_representative=True, representative_from=TERM, representative_to=D - timedelta(1))
    person(is_representative=True, representative_from=D + timedelta(days=1))
    person(is_representative=True, representative_from=TERM, status="moved_out")
    person(is_representative=False)
    committee = person()
    role(committee, "village_committee")
    branch_only = person()
    role(branch_only, "branch_committee")

    assert members(village, Body.REPRESENTATIVES) == {rep, open_term, committee}


def test_representative_on_the_committee_is_counted_once(village, person):
    both = person(is_representative=True, representative_from=TERM)
    role(both, "village_committee")
    assert list(body_members(village=village, body=Body.REPRESENTATIVES, on=D)) == [both]


@pytest.mark.parametrize("status", ["moved_out", "deceased"])
@pytest.mark.parametrize(
    ("body", "holding"),
    [
        (Body.BRANCH_COMMITTEE, "branch_committee"),
        (Body.VILLAGE_COMMITTEE, "village_committee"),
        (Body.TWO_COMMITTEES, "secretary"),
        (Body.SUPERVISION, "supervision"),
        (Body.REPRESENTATIVES, "village_committee"),
    ],
)
def test_cadre_who_moved_out_or_died_is_not_expected_at_the_meeting(
    village, person, body, holding, status
):
    """A membership left open by mistake must not put a deceased person on the list."""
    present = person()
    role(present, holding)
    gone = person(status=status)
    role(gone, holding)
    assert members(village, body) == {present}


@pytest.mark.parametrize("body", list(Body))
def test_no_body_ever_includes_another_villages_people(village, person, body):
    other = VillageFactory(township=village.township)
    stranger = VillagerFactory(
        household=HouseholdFactory(village=other, area=AreaFactory(parent__village=other)),
        party_membership="full",
        is_representative=True,
        representative_from=TERM,
    )
    for name in ["secretary", "village_committee", "supervision"]:
        role(stranger, name)
    assert members(other, body), "the stranger belongs to the body in their own village"
    assert members(village, body) == set()


def test_body_members_accepts_the_body_name_as_text(village, person):
    full = person(party_membership="full")
    assert set(body_members(village=village, body="party_members", on=D)) == {full}
    with pytest.raises(ValueError):
        body_members(village=village, body="choir", on=D)


def test_households_represented_are_active_households_with_an_adult(village, area, person):
    family = HouseholdFactory(village=village, area=area)
    person(household=family, birth_date=date(1970, 1, 1))
    person(household=family, birth_date=date(1972, 1, 1))
    person(household=family, birth_date=date(2015, 1, 1))
    children_only = HouseholdFactory(village=village, area=area)
    person(household=children_only, birth_date=date(2010, 1, 1))
    widowed = HouseholdFactory(village=village, area=area)
    person(household=widowed, birth_date=date(1940, 1, 1), status="deceased")
    person(household=widowed, birth_date=date(2012, 1, 1))
    moved = HouseholdFactory(village=village, area=area, status="moved_out")
    person(household=moved, birth_date=date(1970, 1, 1))
    turns_adult = HouseholdFactory(village=village, area=area)
    person(household=turns_adult, birth_date=date(2007, 6, 2))

    result = list(households_represented(village=village, on=D))
    assert result == [family]
    later = set(households_represented(village=village, on=D + timedelta(days=1)))
    assert later == {family, turns_adult}


def test_households_represented_ignores_other_villages(village, area, person):
    person(birth_date=date(1970, 1, 1))
    other = VillageFactory()
    VillagerFactory(
        household=HouseholdFactory(village=other, area=AreaFactory(parent__village=other)),
        birth_date=date(1970, 1, 1),
    )
    assert households_represented(village=village, on=D).count() == 1
    assert Villager.objects.count() == 2
