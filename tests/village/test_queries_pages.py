"""Pinned query counts of the village core's admin screens and public pages: each costs the
same for a few rows as for many.

Every count is of a second request: the first warms the session and Wagtail's per-process
caches (content types, menus), as they are on any running server.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    LargeGridFactory,
    MembershipFactory,
    VillageFactory,
    VillagerFactory,
)
from village import documents
from village.models import Document, DocumentKind

# /admin/roster/ for the secretary (one village) and the township's inspector (every village
# of the township): session, roles, the villages for the export links and the import form.
QUERIES_ROSTER_SECRETARY = 12
QUERIES_ROSTER_INSPECTOR = 16
QUERIES_ADMIN_GRIDS = 12  # /admin/grid/ for the secretary, 4 or 20 grids
QUERIES_ADMIN_MEMBERSHIPS = 12  # /admin/membership/ for the secretary, 8 or 20 rows
QUERIES_ADMIN_RULESETS = 18  # /admin/ruleset/ for the inspector, 2 or 12 villages
QUERIES_VERIFY = 1  # /verify/<code>/ for a visitor, whatever else the village issued


@pytest.fixture
def measure(client, django_assert_num_queries):
    def run(expected, url, user=None):
        if user is not None:
            client.force_login(user)
        assert client.get(url).status_code == 200  # warm-up
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200, url
        return response.content.decode()

    return run


def _households(village, area, numbers):
    for n in numbers:
        household = HouseholdFactory(village=village, area=area, number=f"R-{n:03d}")
        household.head = VillagerFactory(household=household, name=f"户主{n:02d}")
        household.save()


def _villages(township, numbers):
    for n in numbers:
        VillageFactory(township=township, name=f"第{n:02d}村")


def test_roster_page_costs_the_same_for_few_and_many_households_and_villages(
    shared_township, measure
):
    _households(shared_township["own"], shared_township["area"], range(3))
    measure(QUERIES_ROSTER_SECRETARY, "/admin/roster/", shared_township["secretary"])
    _households(shared_township["own"], shared_township["area"], range(3, 20))
    html = measure(QUERIES_ROSTER_SECRETARY, "/admin/roster/")
    assert html.count("/export.xlsx") == 1
    inspector = shared_township["users"]["inspector"]
    html = measure(QUERIES_ROSTER_INSPECTOR, "/admin/roster/", inspector)
    assert html.count("/export.xlsx") == 2
    _villages(shared_township["own"].township, range(10))
    html = measure(QUERIES_ROSTER_INSPECTOR, "/admin/roster/")
    assert html.count("/export.xlsx") == 12


def _areas(village, count, start):
    for n in range(start, start + count):
        AreaFactory(
            parent=LargeGridFactory(village=village, name=f"网格{n:02d}"), name=f"片{n:02d}"
        )


def test_grid_index_costs_the_same_for_3_and_20_grids(shared_township, measure):
    _areas(shared_township["own"], 1, 0)  # + the world's own grid and area: 4 rows
    html = measure(QUERIES_ADMIN_GRIDS, "/admin/grid/", shared_township["secretary"])
    assert "网格00 · 片00" in html
    _areas(shared_township["own"], 8, 1)  # 20 rows
    html = measure(QUERIES_ADMIN_GRIDS, "/admin/grid/")
    assert "网格08 · 片08" in html


def test_membership_index_costs_the_same_for_few_and_many_memberships(shared_township, measure):
    def add(numbers):
        for n in numbers:
            area = AreaFactory(
                parent=LargeGridFactory(village=shared_township["own"]), name=f"片{n:02d}"
            )
            villager = VillagerFactory(
                household=HouseholdFactory(village=shared_township["own"], area=area),
                name=f"值守{n:02d}",
            )
            MembershipFactory(villager=villager, role="grid_officer", grid=area)

    add(range(3))
    html = measure(QUERIES_ADMIN_MEMBERSHIPS, "/admin/membership/", shared_township["secretary"])
    assert len(set(re.findall(r"值守\d\d", html))) == 3
    add(range(3, 15))  # + the world's five cadres: 20 rows, one page
    html = measure(QUERIES_ADMIN_MEMBERSHIPS, "/admin/membership/")
    assert len(set(re.findall(r"值守\d\d", html))) == 15


def test_ruleset_index_costs_the_same_for_2_and_12_villages(shared_township, measure):
    inspector = shared_township["users"]["inspector"]
    html = measure(QUERIES_ADMIN_RULESETS, "/admin/ruleset/", inspector)
    assert "西河村" in html
    _villages(shared_township["own"].township, range(10))
    html = measure(QUERIES_ADMIN_RULESETS, "/admin/ruleset/")
    assert "第09村" in html


def _document(village, n):
    return Document.objects.create(
        village=village,
        kind=DocumentKind.RESOLUTION,
        title=f"第{n}号决议",
        subject_type="village.village",
        subject_id=str(village.pk),
        code=documents.new_code(),
        sha256="0" * 64,
        size=9,
        pages=1,
        file=ContentFile(b"%PDF-1.4\n", name=f"doc{n}.pdf"),
        issued_by_name="村支书",
        issued_at=timezone.now(),
    )


def test_verify_page_costs_the_same_whatever_else_was_issued(shared_township, measure, client):
    first = _document(shared_township["own"], 0)
    html = measure(QUERIES_VERIFY, f"/verify/{first.code}/")
    assert "第0号决议" in html and shared_township["own"].name in html
    for n in range(1, 12):
        _document(shared_township["own"], n)
    measure(QUERIES_VERIFY, f"/verify/{first.code}/")
