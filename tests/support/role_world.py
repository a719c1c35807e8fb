"""The world of the role-home tests: the points world (tests/support/points_world.py: the
resident in h1, the neighbour in h2, the officer of 第一网格 in h3 — h1..h3 in 东片, h4 and h5
in 西片 — the secretary, the committee member, the inspector) with a village site and two
notices: ``fire`` to everyone, ``west`` to 西片 only; ``ledger`` drives its points."""

from datetime import timedelta

from django.utils import timezone

from pages.models import Audience
from tests.support.points_world import Ledger, build_world
from tests.support.site_world import notice_index_of, open_site, publish_notice


def build_role_world():
    """The role-home world (this module's docstring); the fixture `role_world` returns it."""
    world = build_world()
    world.home = open_site(world.village)
    world.index = notice_index_of(world.home)
    today = timezone.localdate()
    world.fire = publish_notice(world.index, "春季防火通知", publish_on=today - timedelta(days=2))
    world.west = publish_notice(
        world.index,
        "西片自来水停水通知",
        audience=Audience.GRIDS,
        grids=[world.area2],
        publish_on=today - timedelta(days=1),
    )
    world.ledger = Ledger(world)
    return world
