"""The 通知未读户 overview: each current notice with the households it should reach and those
where nobody has confirmed — counted by the database for all notices at once, the same counts
as each notice's own report, at a cost that does not grow with the households."""

import pytest
from django.urls import reverse

from pages import selectors, services
from tests.factories import HouseholdFactory, VillagerFactory
from village.models import PartyMembership

pytestmark = pytest.mark.django_db

OVERVIEW_QUERIES = 13  # secretary of one village, warm: session, roles, menu, home, notices


def overview(client):
    response = client.get(reverse("pages_unread_overview"))
    assert response.status_code == 200
    return response


def counts(response) -> dict[str, tuple[int, int]]:
    return {
        r["notice"].title: (r["report"]["total"], r["report"]["unread"])
        for r in response.context["rows"]
    }


def reports(world, areas=None) -> dict[str, tuple[int, int]]:
    found = {}
    for notice in selectors.current_notices(world.home):
        report = selectors.reach_report(notice, world.village, areas=areas)
        found[notice.title] = (report["total"], report["unread"])
    return found


def test_the_overview_counts_as_each_notices_report(site_world, client):
    w = site_world
    for person, notice in [
        (w.people.a1, w.notices.everyone),
        (w.people.a1, w.notices.area1),
        (w.people.a3, w.notices.grid2),
        (w.people.party, w.notices.party),
        (w.people.rep, w.notices.reps),
    ]:
        services.notice_mark_read(actor=person.user, notice=notice)
    client.force_login(w.people.secretary.user)
    shown = counts(overview(client))
    assert shown == reports(w)
    assert shown[w.notices.everyone.title] == (8, 7)
    assert shown[w.notices.party.title] == (1, 0)


def test_a_grid_officer_sees_the_counts_of_their_areas(site_world, client):
    w = site_world
    services.notice_mark_read(actor=w.people.a1.user, notice=w.notices.everyone)
    client.force_login(w.people.officer.user)
    shown = counts(overview(client))
    assert shown == reports(w, areas=[w.grids.a1.pk])
    assert shown[w.notices.everyone.title] == (3, 2)


def test_the_overview_costs_the_same_for_8_and_48_households(
    site_world, client, django_assert_num_queries
):
    w = site_world
    client.force_login(w.people.secretary.user)
    overview(client)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        overview(client)
    for i in range(40):
        household = HouseholdFactory(village=w.village, area=w.grids.a3, number=f"A3-{i + 10}")
        VillagerFactory(household=household, party_membership=PartyMembership.FULL)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = overview(client)
    assert counts(response)[w.notices.party.title] == (41, 41)
