"""The demo's 志愿服务 in 东毛铺村, written through the services on the demo's clock: a river
clean-up of last Saturday morning, done — volunteers checked in by code, card and list, one
walk-in, one correction of hours, and a proposed 志愿服务 entry (ZY01) per household waiting
for the committee's review — and a clean-up of the village square next week with sign-ups
open (the demo villager `villager` has not signed up yet: try it on the phone)."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from points import selectors as points_selectors
from village.demo.clock import clock
from village.models import Village
from village.permissions import villager_of

from .models import VolunteerActivity
from .services import volunteering as services

RULE = "ZY01"
# The 文明实践站's organiser: a villager with a phone login (13800000006).
ORGANISER = "13800000006"
DONE_VOLUNTEERS = ["villager", *(f"1380000000{n}" for n in (2, 3, 4, 5, 7, 8))]
UPCOMING_VOLUNTEERS = [f"1380000000{n}" for n in (2, 3, 5, 9)]


def _moment(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _last_saturday(today):
    back = (today.weekday() - 5) % 7 or 7
    return today - timedelta(days=back)


def _done(village, secretary, organiser, users, rule):
    day = _last_saturday(timezone.localdate())
    start, end = _moment(day, 8), _moment(day, 11, 30)
    with clock(start - timedelta(days=4)):
        activity = services.activity_create(
            actor=secretary,
            village=village,
            title="周六上午清理河道",
            place="村东小河（石桥至水库段）",
            starts_at=start,
            ends_at=end,
            capacity=20,
            organiser=organiser,
            rule=rule,
        )
    for n, user in enumerate(users):
        with clock(start - timedelta(days=3, hours=-n)):
            services.activity_signup(actor=user, activity=activity)
    volunteers = [villager_of(user) for user in users]
    methods = ["phone", "phone", "card", "list", "phone", "list"]
    for n, (villager, method) in enumerate(zip(volunteers, methods, strict=False)):
        with clock(start - timedelta(minutes=20 - n * 2)):
            services.activity_check_in(
                actor=organiser, activity=activity, villager=villager, method=method
            )
    # The demo villager's spouse (or another member) came along without signing up.
    home = volunteers[0].household
    walk_in = home.members.exclude(pk=volunteers[0].pk).filter(status="registered").first()
    if walk_in is not None:
        with clock(start + timedelta(minutes=5)):
            services.activity_check_in(
                actor=organiser, activity=activity, villager=walk_in, method="list", walk_in=True
            )
    with clock(end + timedelta(hours=1)):
        services.activity_close(
            actor=organiser,
            activity=activity,
            corrections={volunteers[1].pk: (120, "家中有事，10点提前离开")},
        )
    return activity


def _upcoming(village, secretary, organiser, users, rule):
    day = timezone.localdate() + timedelta(days=6)
    start = _moment(day, 8, 30)
    activity = services.activity_create(
        actor=secretary,
        village=village,
        title="村民广场及主干道环境整治",
        place="村委会广场集合",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=20,
        organiser=organiser,
        rule=rule,
    )
    for user in users:
        services.activity_signup(actor=user, activity=activity)
    return activity


def build_demo(township, stdout) -> None:
    village = Village.objects.filter(township=township, code="dongmaopu").first()
    if village is None or VolunteerActivity.objects.filter(village=village).exists():
        return
    users = get_user_model().objects.in_bulk(
        [ORGANISER, "secretary", *DONE_VOLUNTEERS, *UPCOMING_VOLUNTEERS], field_name="username"
    )
    rule_day = _last_saturday(timezone.localdate())
    rule = points_selectors.rules_on(village, rule_day).filter(code=RULE).first()
    if rule is None or ORGANISER not in users:
        return
    done = _done(
        village, users["secretary"], users[ORGANISER], [users[u] for u in DONE_VOLUNTEERS], rule
    )
    upcoming = _upcoming(
        village,
        users["secretary"],
        users[ORGANISER],
        [users[u] for u in UPCOMING_VOLUNTEERS],
        points_selectors.rules_on(village, timezone.localdate()).get(code=RULE),
    )
    if stdout is not None:
        stdout.write(
            f"志愿服务: {done.title}（已结束，{done.proposals.count()} 户建议积分待审核），"
            f"{upcoming.title}（报名中）"
        )
