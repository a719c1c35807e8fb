"""A volunteer activity in the points world (tests/support/points_world.py): 东毛铺村 with its
志愿服务 rule ZY01 (+2, at most twice a year), the grid officer as the 文明实践站's organiser,
and villagers who sign up. Dated in last month (the points world's `day`, the 10th), so its
proposed entries can go into last month's publication; `at(world, hours)` moves the clock to
that many hours after the activity's start (services read django.utils.timezone.now)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from grid.services import volunteering as services
from tests.support.clock import travel

TITLE = "周六上午清理河道"


def start_of(world) -> datetime:
    return timezone.make_aware(datetime.combine(world.day, time(8, 0)))


def at(world, hours: float = 0):
    """The clock `hours` after the activity's start (negative: before)."""
    return travel(start_of(world) + timedelta(hours=hours))


def post_activity(world, *, capacity=20, title=TITLE, organiser=None, rule="ZY01", hours=3):
    """Posted by the secretary three days before it starts."""
    start = start_of(world)
    with at(world, -72):
        return services.activity_create(
            actor=world.secretary,
            village=world.village,
            title=title,
            place="村东小河",
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
            organiser=organiser or world.officer,
            rule=world.rules[rule],
        )


def sign_up(world, activity, *users):
    with at(world, -24):
        return [services.activity_signup(actor=user, activity=activity) for user in users]


def check_in(world, activity, villager, *, method="list", walk_in=False, actor=None):
    with at(world, 0.5):
        return services.activity_check_in(
            actor=actor or world.officer,
            activity=activity,
            villager=villager,
            method=method,
            walk_in=walk_in,
        )


def close(world, activity, *, corrections=None, actor=None):
    with at(world, 4):
        return services.activity_close(
            actor=actor or world.officer, activity=activity, corrections=corrections
        )
