"""The demo's 党员亮身份 and 党建+N: cards for the cadres and members (office hours, office phones
some chose to show), every member's commitments of this year and the last with the branch's
note on the last, 包联 of areas and of some households (the demo villager's among them), and a
few visit notes. Written in bulk, each row with its history and its event in the chain."""

import random
from datetime import date, timedelta

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .. import audit
from ..audit import Event
from ..models import (
    BOARD_ROLES,
    Commitment,
    CommitmentSet,
    Fulfilment,
    Grid,
    GridLevel,
    Household,
    Membership,
    PartyCard,
    PartyLink,
    PartyMembership,
    VisitNote,
)
from ..party_selectors import MEMBERS
from ..permissions import SYSTEM
from .plan import SEED

OFFICE_HOURS = {
    "secretary": "工作日 8:30—11:30 在村党群服务中心书记办公室",
    "branch_committee": "每周一、三上午在村党群服务中心",
    "village_committee": "每周二、四上午在村便民服务站",
    "grid_officer": "每天下午走网格，上午在村便民服务站",
    "supervision": "每月5日、20日上午在村务监督委员会办公室",
}
MEMBER_HOURS = "每月主题党日（15日）在村党群服务中心"
COMMITMENTS = [
    "带头做到垃圾不落地，门前三包天天落实",
    "带头红白事简办，不大操大办",
    "每月至少走访一次包联户，帮助解决实际困难",
    "带头遵守全年禁放烟花爆竹的约定",
    "参加每季度至少一次河道清理志愿服务",
    "带头参加村民说事，反映群众意见建议",
    "按时交纳党费，按时参加主题党日",
    "帮助一户困难群众办好一件实事",
    "带头孝老爱亲，照顾好家中老人",
    "带头参与护林防火巡查",
]
NOTES = {
    Fulfilment.FULFILLED: "承诺事项全部兑现，群众评议满意。",
    Fulfilment.PARTLY: "大部分承诺兑现，走访次数不足，来年改进。",
}
VISITS = [
    "了解家中老人身体情况，提醒冬季用火用电安全。",
    "宣传垃圾分类和门前三包，户里做得很好。",
    "反映路灯不亮，已转网格员上报。",
    "帮助预约村法律顾问，咨询土地承包问题。",
    "宣讲全年禁放烟花爆竹的约定，户主表示支持。",
    "询问孩子上学情况，告知教育资助政策。",
]
LINKED_HOUSEHOLDS = 10  # households with a member of their own, the demo villager's first
VISIT_NOTES = 8


def _board_people(village, today):
    held: dict[int, list[str]] = {}
    for villager_id, role in (
        Membership.objects.valid_on(today)
        .filter(village=village, role__in=BOARD_ROLES)
        .order_by("start", "pk")
        .values_list("villager_id", "role")
    ):
        held.setdefault(villager_id, []).append(role)
    members = list(
        village.villagers.filter(party_membership__in=MEMBERS)
        .order_by("pk")
        .only("pk", "household_id", "party_membership", "user_id")
    )
    return held, members


def _cards(village, held, members, now) -> list[PartyCard]:
    have = set(PartyCard.objects.filter(village=village).values_list("villager_id", flat=True))
    ids = sorted((set(held) | {m.pk for m in members}) - have)
    cards = []
    for n, villager_id in enumerate(ids):
        roles = held.get(villager_id, [])
        hours = OFFICE_HOURS[roles[0]] if roles else MEMBER_HOURS
        phone = f"0531-8760{n:04d}" if roles else ""
        cards.append(
            PartyCard(
                village=village,
                villager_id=villager_id,
                office_hours=hours,
                office_phone=phone,
                show_office_phone=bool(phone) and roles[0] != "grid_officer",
                updated_at=now,
            )
        )
    return bulk_create_with_history(cards, PartyCard)


def _commitments(village, members, today, rng, now):
    have = set(CommitmentSet.objects.filter(village=village).values_list("member_id", "year"))
    sets = []
    for member in members:
        for year in (today.year - 1, today.year):
            if (member.pk, year) in have:
                continue
            last = year < today.year
            fulfilment = (
                (Fulfilment.PARTLY if rng.random() < 0.2 else Fulfilment.FULFILLED) if last else ""
            )
            sets.append(
                CommitmentSet(
                    village=village,
                    member_id=member.pk,
                    year=year,
                    fulfilment=fulfilment,
                    fulfilment_note=NOTES.get(fulfilment, ""),
                    noted_at=now - timedelta(days=330) if last else None,
                    created_at=now - timedelta(days=360 if last else 20),
                )
            )
    sets = bulk_create_with_history(sets, CommitmentSet)
    items = [
        Commitment(commitment_set=found, text=text, created_at=found.created_at)
        for found in sets
        for text in rng.sample(COMMITMENTS, 3)
    ]
    items = bulk_create_with_history(items, Commitment)
    return sets, items


def _links(village, members, today, first_household):
    areas = list(Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("pk"))
    full = [m for m in members if m.party_membership == PartyMembership.FULL]
    if not full:
        return []
    start = date(today.year, 1, 1)
    links = [
        PartyLink(village=village, member_id=full[n % len(full)].pk, area=area, start=start)
        for n, area in enumerate(areas[::2])
    ]
    households = [first_household] if first_household else []
    households += list(
        Household.objects.filter(village=village)
        .exclude(pk__in=[h.pk for h in households])
        .order_by("pk")[: LINKED_HOUSEHOLDS - len(households)]
    )
    helpers = [m for m in members if m.pk not in {link.member_id for link in links}] or full
    links += [
        PartyLink(
            village=village,
            member_id=helpers[n % len(helpers)].pk,
            household=household,
            start=start,
        )
        for n, household in enumerate(households)
    ]
    return bulk_create_with_history(links, PartyLink)


def _visits(village, links, today, now) -> list[VisitNote]:
    direct = [link for link in links if link.household_id][:VISIT_NOTES]
    notes = []
    for n, link in enumerate(direct):
        day = max(link.start, today - timedelta(days=3 + 5 * n))
        notes.append(
            VisitNote(
                village=village,
                link=link,
                member_id=link.member_id,
                household_id=link.household_id,
                visited_on=day,
                text=VISITS[n % len(VISITS)],
                created_at=now,
            )
        )
    return VisitNote.objects.bulk_create(notes)


def build_party(village, *, first_household=None, stdout=None) -> None:
    """The demo's board, commitments, 包联 and visit notes of `village`."""
    rng = random.Random(SEED + 19)
    today = timezone.localdate()
    now = timezone.now()
    held, members = _board_people(village, today)
    cards = _cards(village, held, members, now)
    sets, items = _commitments(village, members, today, rng, now)
    _links(village, members, today, first_household)
    links = list(PartyLink.objects.filter(village=village).order_by("pk"))
    notes = _visits(village, links, today, now)
    events = [Event("village.party.card", card, {"demo": True}) for card in cards]
    events += [
        Event("village.party.commitment.add", item, {"set": item.commitment_set_id})
        for item in items
    ]
    events += [
        Event(
            "village.party.commitment.fulfilment", s, {"year": s.year, "fulfilment": s.fulfilment}
        )
        for s in sets
        if s.noted_at
    ]
    events += [
        Event(
            "village.party.link.create",
            link,
            {"member": link.member_id, "household": link.household_id, "area": link.area_id},
        )
        for link in links
    ]
    events += [
        Event(
            "village.party.visit", note, {"member": note.member_id, "household": note.household_id}
        )
        for note in notes
    ]
    audit.record_many(actor=SYSTEM, events=events, village=village)
    if stdout:
        stdout.write(
            f"  {village.name}: 亮身份 {len(cards)} 人, 承诺 {len(sets)} 份, "
            f"包联 {len(links)} 项, 走访 {len(notes)} 条"
        )
