"""village/officers.py: a grid officer acts for the households of their grid only; cadres (and
the system) for the whole village. Points recording and its household search ask it."""

import pytest
from django.core.exceptions import PermissionDenied

from points import selectors
from tests.support.points_world import Ledger
from village import officers
from village.models import Household
from village.permissions import SYSTEM


def test_the_officer_acts_for_the_areas_of_their_grid_only(points_world):
    assert officers.officer_areas(points_world.officer, points_world.village) == [
        points_world.area1.pk
    ]
    assert officers.may_act_for(points_world.officer, points_world.h[1])
    assert not officers.may_act_for(points_world.officer, points_world.h[4])


@pytest.mark.parametrize("who", ["secretary", "committee"])
def test_cadres_act_for_the_whole_village(points_world, who):
    user = getattr(points_world, who)
    assert officers.officer_areas(user, points_world.village) is None
    assert officers.may_act_for(user, points_world.h[1]) and officers.may_act_for(
        user, points_world.h[4]
    )


def test_the_system_acts_for_every_household(points_world):
    assert officers.acts_for_whole_village(SYSTEM, points_world.village.pk)
    assert officers.may_act_for(SYSTEM, points_world.h[4])


def test_an_officer_holding_an_area_acts_for_that_area(points_world):
    from tests.factories import MembershipFactory

    MembershipFactory(
        villager=points_world.officer.villager, role="grid_officer", grid=points_world.area2
    )
    assert officers.officer_areas(points_world.officer, points_world.village) == sorted(
        [points_world.area1.pk, points_world.area2.pk]
    )
    assert officers.may_act_for(points_world.officer, points_world.h[4])


def test_a_resident_acts_for_no_household(points_world):
    assert officers.officer_areas(points_world.resident, points_world.village) == []
    assert not officers.may_act_for(points_world.resident, points_world.h[1])


def test_households_acted_for_narrows_a_queryset_in_one_query(
    points_world, django_assert_num_queries
):
    everyone = Household.objects.filter(village=points_world.village)
    narrowed = officers.households_acted_for(points_world.officer, everyone)
    with django_assert_num_queries(1):
        numbers = sorted(narrowed.values_list("number", flat=True))
    assert numbers == sorted(points_world.h[i].number for i in (1, 2, 3))
    assert (
        officers.households_acted_for(points_world.secretary, everyone).count() == everyone.count()
    )


def test_recording_and_its_search_follow_the_same_rule(points_world):
    offered = set(selectors.households_to_record(points_world.officer))
    assert offered == {points_world.h[1], points_world.h[2], points_world.h[3]}
    with pytest.raises(PermissionDenied):
        Ledger(points_world).record(points_world.h[4])
    assert Ledger(points_world).record(points_world.h[1]).account.household == points_world.h[1]
