"""Who reads the notices on a phone, and what they have confirmed: logins for most households
(through village.services) and the receipts of the notices published so far."""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from village import audit
from village import services as village_services
from village.demo import PASSWORD, clock
from village.models import (
    GridLevel,
    Membership,
    PartyMembership,
    Village,
    Villager,
    VillageRole,
    VillagerStatus,
)
from village.permissions import SYSTEM, villager_of

from .. import selectors, services
from ..models import NoticeRead

READ_SEED = 20260301
ONLINE_SHARE = 0.85  # households where someone has a smartphone and a login


def age(villager, today: date) -> int:
    return (today - villager.birth_date).days // 365


def one_per_household(by_household: dict, rng: random.Random, today: date) -> list[Villager]:
    """In most households without a login yet, one adult (the head or spouse first, the younger
    before the over-sixties)."""
    chosen = []
    for members in by_household.values():
        if any(v.user_id for v in members):
            continue
        if rng.random() < ONLINE_SHARE:
            adults = [v for v in members if 18 <= age(v, today) <= 70]
            adults.sort(
                key=lambda v: (v.relation_to_head not in ("户主", "配偶"), age(v, today) > 60)
            )
            if adults:
                chosen.append(adults[0])
    return chosen


def kept_online(people, chosen_ids: set, today: date) -> list[Villager]:
    """Every party member and representative up to 75 not yet chosen (the branch keeps them
    online)."""
    return [
        v
        for v in people
        if not v.user_id
        and v.pk not in chosen_ids
        and age(v, today) <= 75
        and (v.is_representative or v.party_membership != PartyMembership.NONE)
    ]


def online_choose(village) -> list[Villager]:
    """Who gets a phone login, in id order."""
    rng = random.Random(READ_SEED)
    today = timezone.localdate()
    people = list(
        Villager.objects.filter(village=village, status=VillagerStatus.REGISTERED)
        .select_related("household")
        .order_by("household__number", "id")
    )
    by_household: dict[int, list[Villager]] = {}
    for v in people:
        by_household.setdefault(v.household_id, []).append(v)
    chosen = one_per_household(by_household, rng, today)
    chosen += kept_online(people, {v.pk for v in chosen}, today)
    chosen.sort(key=lambda v: v.pk)
    return chosen


def online(village) -> dict[int, list[Villager]]:
    """Who confirms notices on a phone, by household: the demo accounts, one adult in most other
    households (a phone number and a login, as a villager gets one with an activation code),
    and every party member and representative up to 75."""
    chosen = online_choose(village)
    # 137 + the village's place in its township (two digits) + six: eleven digits whatever the
    # database's ids are (PostgreSQL's sequences are not reset between test runs).
    place = Village.objects.filter(township=village.township_id, pk__lt=village.pk).count()
    phones = [(v, {"phone": f"137{place:02d}{n:06d}"}) for n, v in enumerate(chosen, start=1)]
    chosen = village_services.villagers_change(actor=SYSTEM, village=village, changes=phones)
    village_services.accounts_create(
        actor=SYSTEM, village=village, accounts=[(v, v.phone) for v in chosen], password=PASSWORD
    )
    by_household: dict[int, list[Villager]] = {}
    for v in Villager.objects.filter(village=village, user__isnull=False).select_related(
        "user", "household__area"
    ):
        by_household.setdefault(v.household_id, []).append(v)
    return by_household


def notice_reads(notice, village, online_people, rng, *, home, now) -> list[NoticeRead]:
    """The receipts of one notice: about 60 % of its audience on the first day, up to 80 %
    after three weeks; households without anyone online stay on the unread report for the grid
    officer to visit. The demo villager's household has not yet read what came this week."""
    today = now.date()
    days = (today - notice.publish_on).days
    share = 0.6 + 0.2 * min(days, 21) / 21
    start = datetime.combine(notice.publish_on, time(8), tzinfo=now.tzinfo)
    span = max((now - start).total_seconds(), 60)
    households = list(
        selectors.audience_households(notice=notice, village=village).order_by("number")
    )
    readers_of = {
        h.pk: [
            v
            for v in online_people.get(h.pk, [])
            if selectors.in_audience(notice=notice, villager=v)
        ]
        for h in households
    }
    reachable = sum(1 for readers in readers_of.values() if readers)
    chance = share * len(households) / max(reachable, 1)
    reads = []
    for household in households:
        readers = readers_of[household.pk]
        if not readers or rng.random() >= chance:
            continue
        if household.pk == home and days < 7:
            continue
        at = min(start + timedelta(seconds=span * rng.random() ** 2), now)
        reader = rng.choice(readers)
        reads.append(
            NoticeRead(
                notice=notice,
                villager=reader,
                household_id=household.pk,
                user=reader.user,
                read_at=at,
            )
        )
    return reads


def reads_save(notice, village, reads: list[NoticeRead]) -> None:
    """Each read is what `services.notice_mark_read` writes — a receipt of a villager in the
    notice's audience and a `pages.notice.read` event — written in bulk, a day's reads at a
    time: one by one they would double the time the demo takes to load, and no service writes
    many receipts at once."""
    by_day: dict[date, list[NoticeRead]] = {}
    for read in reads:
        by_day.setdefault(timezone.localdate(read.read_at), []).append(read)
    for _day, day_reads in sorted(by_day.items()):
        day_reads.sort(key=lambda r: r.read_at)
        NoticeRead.objects.bulk_create(day_reads)
        with clock(day_reads[-1].read_at):
            audit.record_many(
                actor=SYSTEM,
                village=village,
                events=[
                    audit.Event(
                        "pages.notice.read",
                        notice,
                        {"villager": r.villager_id, "household": r.household_id},
                    )
                    for r in day_reads
                ],
            )


def reads_create(village, notices, online_people) -> int:
    """Households confirm each notice over the days after it is published; returns how many
    reads there are."""
    rng = random.Random(READ_SEED + 1)
    now = timezone.localtime()
    home = villager_of(get_user_model().objects.get(username="villager")).household_id
    count = 0
    for notice in notices:
        reads = notice_reads(notice, village, online_people, rng, home=home, now=now)
        reads_save(notice, village, reads)
        count += len(reads)
    return count


# How the officers reached the households nobody had read the fire notice in: most in person,
# some by phone, a few by the loudspeaker or the area's WeChat group; the rest are still to go.
TOLD_WAYS = [("in_person", 0.5), ("phone", 0.2), ("loudspeaker", 0.1), ("wechat_group", 0.05)]


def _officer_of_area(village) -> dict[int, object]:
    """Each area's officer with a login (an area of a large grid they hold counts too)."""
    found = {}
    for m in (
        Membership.objects.valid_on(timezone.localdate())
        .filter(village=village, role=VillageRole.GRID_OFFICER, villager__user__isnull=False)
        .select_related("grid", "villager__user")
    ):
        areas = [m.grid] if m.grid.level == GridLevel.AREA else list(m.grid.areas.all())
        for area in areas:
            found.setdefault(area.pk, m.villager.user)
    return found


def basic_phones(village) -> None:
    """Two in three households where nobody has a login have a basic mobile phone (the
    head's): the outbox texts them."""
    rng = random.Random(READ_SEED + 3)
    offline = (
        Villager.objects.filter(
            village=village, status=VillagerStatus.REGISTERED, phone="", household__head_id=F("pk")
        )
        .exclude(household__members__user__isnull=False)
        .order_by("pk")
    )
    changes = [
        (head, {"phone": f"139{rng.randrange(10**8):08d}"})
        for head in offline
        if rng.random() < 2 / 3
    ]
    if changes:
        village_services.villagers_change(actor=SYSTEM, village=village, changes=changes)


def reach_fill(village, notice) -> int:
    """Tell `notice` to today's accounts (inbox, push, texts) and record the officers' telling
    of part of the households nobody there has read it in. Returns the told records."""
    basic_phones(village)
    services.notice_announce(notice=notice)
    report = selectors.reach_report(notice, village)
    officers = _officer_of_area(village)
    secretary = get_user_model().objects.get(username="secretary")
    rng = random.Random(READ_SEED + 2)
    count = 0
    for row in report["rows"]:
        draw, way = rng.random(), None
        for channel, share in TOLD_WAYS:
            if draw < share:
                way = channel
                break
            draw -= share
        if way is None:
            continue
        recorder = officers.get(row.household.area_id) or secretary
        services.notice_tell(actor=recorder, notice=notice, household=row.household, channel=way)
        count += 1
    return count


# The demo's 亲情账号: a daughter working in Jinan, bound to her parents' household.
PROXY_PHONE = "13600000001"


def proxy_demo(village, notice):
    """Bind a 亲情账号 (login `PROXY_PHONE`, the demo password) to a household nobody there
    has a login for, and let it confirm `notice` for the household. Returns the binding."""
    household = (
        Villager.objects.filter(
            village=village, status=VillagerStatus.REGISTERED, household__head_id=F("pk")
        )
        .exclude(household__members__user__isnull=False)
        .exclude(household__in=NoticeRead.objects.filter(notice=notice).values("household"))
        .order_by("household__number")
        .first()
        .household
    )
    User = get_user_model()
    user = User.objects.filter(username=PROXY_PHONE).first()
    if user is None:
        user = User.objects.create_user(username=PROXY_PHONE, first_name="王小梅")
        user.set_password(PASSWORD)
        user.save()
    secretary = User.objects.get(username="secretary")
    proxy, _code = village_services.proxy_bind(
        actor=secretary,
        household=household,
        name="王小梅",
        phone=PROXY_PHONE,
        relation="女儿（在济南工作）",
        ends_on=timezone.localdate() + timedelta(days=365),
    )
    services.notice_mark_read(actor=user, notice=notice)
    return proxy


# Where the demo's returning workers come from.
CITIES = ["济南", "青岛", "北京", "上海"]


def questionnaire_demo(village, notice) -> int:
    """Half of `notice`'s households answer its questions: by a member with a login, or by the
    area's officer at the door. Returns the answers recorded."""
    rng = random.Random(READ_SEED + 4)
    officers = _officer_of_area(village)
    secretary = get_user_model().objects.get(username="secretary")
    questions = list(notice.questions.all())
    count = 0
    households = selectors.audience_households(notice, village).prefetch_related("members")
    for household in households.order_by("number"):
        if rng.random() >= 0.5:
            continue
        member = next((m.user for m in household.members.all() if m.user_id), None)
        returned = rng.random() < 0.15
        answers = {
            str(questions[0].pk): "是" if returned else "否",
            str(questions[1].pk): str(rng.randint(1, 3)) if returned else "0",
            str(questions[2].pk): rng.choice(CITIES) if returned else "无",
        }
        if member is not None:
            services.household_answer(actor=member, notice=notice, answers=answers)
        else:
            actor = officers.get(household.area_id) or secretary
            services.household_answer(
                actor=actor, notice=notice, answers=answers, household=household
            )
        count += 1
    return count
