"""village/officers.py: a grid officer acts for the households of their grid only; cadres (and
the system) for the whole village. Points recording and its household search ask it."""

import pytest
from django.core.exceptions import PermissionDenied

from points import selectors
from tests.support.points_world import Ledger
from village import officers
from village.models import Household
from village.permissions import SYSTEM


def test_the_officer_acts_for_the_areas_of_their_grid_only(pw):
    assert officers.officer_areas(pw.officer, pw.village) == [pw.area1.pk]
    assert officers.may_act_for(pw.officer, pw.h[1])
    assert not officers.may_act_for(pw.officer, pw.h[4])


@pytest.mark.parametrize("who", ["secretary", "committee"])
def test_cadres_act_for_the_whole_village(pw, who):
    user = getattr(pw, who)
    assert officers.officer_areas(user, pw.village) is None
    assert officers.may_act_for(user, pw.h[1]) and officers.may_act_for(user, pw.h[4])


def test_the_system_acts_for_every_household(pw):
    assert officers.acts_for_whole_village(SYSTEM, pw.village.pk)
    assert officers.may_act_for(SYSTEM, pw.h[4])


def test_an_officer_holding_an_area_acts_for_that_area(pw):
    from tests.factories import MembershipFactory

    MembershipFactory(villager=pw.officer.villager, role="grid_officer", grid=pw.area2)
    assert officers.officer_areas(pw.officer, pw.village) == sorted([pw.area1.pk, pw.area2.pk])
    assert officers.may_act_for(pw.officer, pw.h[4])


def test_a_resident_acts_for_no_household(pw):
    assert officers.officer_areas(pw.resident, pw.village) == []
    assert not officers.may_act_for(pw.resident, pw.h[1])


def test_households_acted_for_narrows_a_queryset_in_one_query(pw, django_assert_num_queries):
    everyone = Household.objects.filter(village=pw.village)
    narrowed = officers.households_acted_for(pw.officer, everyone)
    with django_assert_num_queries(1):
        numbers = sorted(narrowed.values_list("number", flat=True))
    assert numbers == sorted(pw.h[i].number for i in (1, 2, 3))
    assert officers.households_acted_for(pw.secretary, everyone).count() == everyone.count()


def test_recording_and_its_search_follow_the_same_rule(pw):
    offered = set(selectors.households_to_record(pw.officer))
    assert offered == {pw.h[1], pw.h[2], pw.h[3]}
    with pytest.raises(PermissionDenied):
        Ledger(pw).record(pw.h[4])
    assert Ledger(pw).record(pw.h[1]).account.household == pw.h[1]
