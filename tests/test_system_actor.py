"""No service skips its permission check for a missing actor.

Before the explicit system actor, `actor=None` meant "the system" and skipped the check: any
code path that lost its user (a view calling a service with `request.user` gone, a task with no
requester) wrote as the system. Now `None` is refused like an anonymous visitor, with nothing
written and nothing on the audit chain; the platform acting for itself says so with `SYSTEM`.
Tried here through a write of every app."""

import pytest
from django.core.exceptions import PermissionDenied

from deliberation import selectors as deliberation_selectors
from deliberation import services as deliberation_services
from deliberation.models import Category, Matter, Origin
from pages import services as pages_services
from pages.models import NoticeRead
from points import services as points_services
from points.models import Entry, Redemption, StoreItem
from tests.factories import TownshipFactory
from tests.support.deliberation_world import Procedure
from tests.support.points_world import build_world
from village import services as village_services
from village.models import AuditEvent, Grid, Household, Village
from village.permissions import SYSTEM


def rows(*models) -> tuple[int, ...]:
    return (AuditEvent.objects.count(), *(model.objects.count() for model in models))


def refused_and_nothing_written(call, *models):
    before = rows(*models)
    with pytest.raises(PermissionDenied):
        call(None)
    assert rows(*models) == before


def test_village_writes_refuse_no_actor(township_world):
    village, area = township_world["own"], township_world["area"]
    refused_and_nothing_written(
        lambda actor: village_services.village_create(
            actor=actor, township=TownshipFactory(), name="新村", code="xincun"
        ),
        Village,
    )
    refused_and_nothing_written(
        lambda actor: village_services.grid_create(
            actor=actor, village=village, name="新片区", level="area", parent=area.parent
        ),
        Grid,
    )
    refused_and_nothing_written(
        lambda actor: village_services.household_create(
            actor=actor, village=village, number="999", area=area
        ),
        Household,
    )
    # The system, named, may.
    grid = village_services.grid_create(
        actor=SYSTEM, village=village, name="新片区", level="area", parent=area.parent
    )
    event = AuditEvent.objects.get(action="village.grid.create", object_id=str(grid.pk))
    assert event.actor_id is None and event.actor_name == "system"


def test_deliberation_writes_refuse_no_actor(deliberation_world):
    refused_and_nothing_written(
        lambda actor: deliberation_services.matter_create(
            actor=actor,
            village=deliberation_world.village,
            title="村道硬化",
            body="全长两公里。",
            category=Category.LAND_CONTRACT,
            origin=Origin.SUGGESTION,
        ),
        Matter,
    )
    matter = Procedure(deliberation_world).to_vote()
    participations = deliberation_selectors.current_vote_meeting(matter).participations
    before = participations.count()
    refused_and_nothing_written(
        lambda actor: deliberation_services.vote_cast(actor=actor, matter=matter, choice="yes")
    )
    assert participations.count() == before


def test_points_writes_refuse_no_actor(db):
    world = build_world()
    household = world.h[1]
    refused_and_nothing_written(
        lambda actor: points_services.entry_record(
            actor=actor, household=household, rule=world.rules["HJ01"], occurred_on=world.day
        ),
        Entry,
    )
    refused_and_nothing_written(
        lambda actor: points_services.redeem(
            actor=actor, household=household, item=world.items["soap"], quantity=1
        ),
        Redemption,
        Entry,
    )
    refused_and_nothing_written(
        lambda actor: points_services.store_item_create(
            actor=actor, village=world.village, name="盐", points_price=3
        ),
        StoreItem,
    )


def test_pages_writes_refuse_no_actor(site_world):
    notice = site_world.notices.everyone
    refused_and_nothing_written(
        lambda actor: pages_services.notice_mark_read(actor=actor, notice=notice), NoticeRead
    )
