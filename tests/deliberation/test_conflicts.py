"""回避 at the vote: a cadre who votes on a matter that names their household (its number in
the matter's text: a 宅基地 or 低保 matter about them) is flagged for the inspector, with who
and where — whatever their relation to the head, as the roster records the household: the head,
a spouse, a child, a parent, a sibling living together."""

import pytest
from django.urls import reverse

from deliberation import compliance
from deliberation.models import Category
from tests.support.deliberation_world import ids
from village.models import Villager


def conflict_flags(matter):
    return [f for f in compliance.check_matter(matter) if f.code == "conflict"]


@pytest.mark.parametrize("relation", ["户主", "配偶", "子", "父亲", "兄弟"])
def test_a_cadre_voting_on_a_matter_naming_their_household_is_flagged(
    deliberation_world, procedure, people, relation
):
    cadre = people["v3"]  # a village committee member, on the representatives' meeting
    Villager.objects.filter(pk=cadre.pk).update(relation_to_head=relation)
    number = cadre.household.number
    matter = procedure.to_vote(
        "宅基地使用方案",
        body=f"同意{number}户在东片新建住房一处，占地120平方米。",
        category=Category.HOMESTEAD,
    )
    procedure.resolve(matter)
    flags = conflict_flags(matter)
    # v3 sat in the two committees (step 2) and the representatives' meeting (step 4).
    assert [(f.ok, f.step) for f in flags] == [(False, 2), (False, 4)]
    assert all(cadre.name in f.reason and number in f.reason for f in flags)
    assert "应当回避" in flags[-1].reason


def test_no_flag_when_the_cadre_did_not_vote_or_no_household_of_a_cadre_is_named(
    deliberation_world, procedure, people
):
    w = deliberation_world
    cadre = people["v3"]
    named = cadre.household.number
    matter = procedure.to_vote("宅基地使用方案", body=f"同意{named}户新建住房。")
    voters = [p for p in w.representatives_body if p.household_id != cadre.household_id]
    procedure.hall(matter, voters, votes={p.pk: "yes" for p in voters})
    procedure.close_vote(matter)
    assert [f.step for f in conflict_flags(matter)] == [2]  # at the vote, they stood aside
    # A longer number that only begins with the cadre's is another household.
    other = procedure.to_vote("宅基地使用方案二", body=f"同意{named}9户新建住房。")
    procedure.resolve(other)
    assert conflict_flags(other) == []
    assert ids(voters)  # the hall had voters


def test_the_dashboard_shows_the_conflict_to_the_inspector(
    deliberation_world, procedure, people, inspector, client
):
    cadre = people["v4"]
    matter = procedure.to_vote(
        "低保评议",
        body=f"{cadre.household.number}户申请低保，评议通过。",
        category="subsistence_review",
    )
    procedure.resolve(matter)
    client.force_login(inspector)
    html = client.get(reverse("deliberation_admin_dashboard")).content.decode()
    assert "应当回避" in html and cadre.name in html
