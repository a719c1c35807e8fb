"""The demo's 随手拍 in 东毛铺村: events in every state across areas over the last eight days,
written through the services on the demo's clock (so the trail and the chain carry their
times): rated, waiting for a rating, in hand, new and urgent, reopened, late to the secretary
and late to the township."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from village.demo.clock import clock
from village.models import Village
from village.permissions import villager_of

from . import services
from .models import GridEvent

# (hours ago reported, reporter account, category, text, place, the steps after: (hours after
# the report, step, words)).
STORY = [
    (
        150,
        3,
        "environment",
        "村口排水沟被落叶堵住，雨天路面积水",
        "村口石桥旁",
        [(2, "accept", ""), (6, "handle", "已组织清掏排水沟，恢复通畅"), (20, "confirm", "5")],
    ),
    (
        190,
        5,
        "facility",
        "后街第三盏路灯不亮",
        "后街",
        [(1, "accept", "")],
    ),  # late: past both deadlines
    (
        100,
        7,
        "dispute",
        "两家因宅基地边界的篱笆起争执",
        "北坡",
        [(3, "accept", "")],
    ),  # late: past the first deadline
    (
        50,
        9,
        "facility",
        "自来水管接头漏水",
        "东头老井边",
        [(2, "accept", ""), (20, "handle", "已更换接头"), (30, "reopen", "还在渗水")],
    ),
    (
        40,
        11,
        "environment",
        "垃圾桶满了没人清运",
        "西口",
        [(1, "accept", ""), (10, "handle", "已联系保洁员清运，并增加一次清运")],
    ),
    (20, 13, "help", "独居老人家里的电暖器坏了", "南巷", [(2, "accept", "")]),
    (2, 15, "safety", "电线杆倾斜，电线下垂", "小学门口", []),
    (1, 17, "other", "村道边的指示牌被风吹倒", "进村路口", []),
]


def build_demo(township, stdout=None) -> None:
    village = Village.objects.filter(township=township, code="dongmaopu").first()
    if village is None or GridEvent.objects.filter(village=village).exists():
        return
    User = get_user_model()
    now = timezone.now()
    for hours, account, category, text, place, steps in STORY:
        reporter = User.objects.filter(username=f"138{account:08d}").first()
        if reporter is None or villager_of(reporter) is None:
            continue
        start = now - timedelta(hours=hours)
        with clock(start):
            event = services.event_report(
                actor=reporter,
                village=village,
                category=category,
                text=text,
                place=place,
                idempotency_key=f"demo-event-{account}",
            )
        handler = _handler(event, User)
        for after, step, words in steps:
            with clock(start + timedelta(hours=after)):
                _play(event, step, words, handler, reporter)
    with clock(now):
        count = services.events_escalate()
    if stdout is not None:
        stdout.write(f"随手拍: {len(STORY)} events, {count} escalations")


def _handler(event, User):
    return event.officer or User.objects.get(username="secretary")


def _play(event, step, words, handler, reporter) -> None:
    event.refresh_from_db()
    if step == "accept":
        services.event_accept(actor=handler, event=event)
    elif step == "handle":
        services.event_handle(actor=handler, event=event, note=words)
    elif step == "confirm":
        services.event_confirm(actor=reporter, event=event, rating=int(words), note="很及时")
    elif step == "reopen":
        services.event_reopen(actor=reporter, event=event, reason=words)
    else:  # pragma: no cover - the story above names only these
        raise ValueError(step)
