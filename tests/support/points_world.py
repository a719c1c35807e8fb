"""A village with a points catalogue, households in one grid, and the people of the ledger.

``build_world()`` (the fixture ``points_world``):

- village 东毛铺村 (objection window 5 days, base points 100, reset each year) with two large
  grids; grid 1 has area 1 with households h1, h2, h3; grid 2 has area 2 with h4 and h5;
- the catalogue (version 1, in effect since 1 January last year) with rules in four
  categories: HJ01 +5, HJ02 −3 (环境卫生), XL01 +10 with a photo required (孝老爱亲), ZY01 +2 at
  most twice a year (志愿服务), FL01 −20 (遵纪守法);
- the store: 洗衣粉 10 points (stock 20), 大米 50 points (stock 2), 旧暖瓶 taken off the shelf;
- people with logins: ``resident`` (head of h1), ``neighbour`` (head of h2), ``officer``
  (grid officer of grid 1, lives in h3), ``secretary`` (h4), ``committee`` (village committee,
  h5), ``keeper`` (store keeper, h5), the township's ``inspector`` and an ``outsider``;
- ``foreign``: a village of another township with its own catalogue, household and resident.

``ledger`` drives entries through record → review → publish → close the way cadres would.
"""

import io
from datetime import date, timedelta
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone
from PIL import Image

from deliberation.models import Category as MatterCategory
from deliberation.models import (
    Matter,
    MatterStatus,
    MatterVersion,
    Origin,
    PublicationKind,
    text_sha256,
)
from deliberation.models import Publication as MatterPublication
from points import selectors, services, terms
from points.models import (
    Account,
    Catalogue,
    Category,
    Entry,
    EntryStatus,
    Rule,
    StoreItem,
)
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    LargeGridFactory,
    MembershipFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
)
from tests.support.clock import travel
from tests.support.rules import amend
from village import audit
from village.models import AuditEvent
from village.permissions import villager_of


def last_month_day(day=None) -> date:
    """The 10th of the month before `day` (today): a month that is over, in the catalogue."""
    day = day or timezone.localdate()
    return (selectors.month_start(day) - timedelta(days=1)).replace(day=10)


def photo(name="evidence.png"):
    """A small PNG upload, as a phone would send as evidence."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


RULES = [
    # code, category, text, points, cap, evidence
    ("HJ01", "环境卫生", "庭院整洁、门前三包落实", 5, None, False),
    ("HJ02", "环境卫生", "乱堆乱放、占道堆物", -3, None, False),
    ("XL01", "孝老爱亲", "赡养老人被评为孝亲之星", 10, None, True),
    ("ZY01", "志愿服务", "参加义务劳动（每次）", 2, 2, False),
    ("FL01", "遵纪守法", "违反村规民约受到批评教育", -20, None, False),
]


def build_catalogue(village, *, effective_from=None, version=1, codes=None):
    """An adopted catalogue of `village` with the RULES (or those of `codes`)."""
    today = timezone.localdate()
    catalogue = Catalogue.objects.create(
        village=village,
        version=version,
        title=f"{village.name}积分细则",
        effective_from=effective_from or date(today.year - 1, 1, 1),
    )
    categories = {}
    rules = {}
    for order, (code, category, text, points, cap, evidence) in enumerate(RULES, start=1):
        if codes is not None and code not in codes:
            continue
        if category not in categories:
            categories[category], _created = Category.objects.get_or_create(
                village=village, name=category, defaults={"order": order}
            )
        rules[code] = Rule.objects.create(
            catalogue=catalogue,
            category=categories[category],
            code=code,
            text=text,
            points=points,
            cap_per_period=cap,
            evidence_required=evidence,
            article=f"村规民约第{order}条",
        )
    catalogue.adopted_at = timezone.now()  # its rules are fixed from here on
    catalogue.save()
    return catalogue, categories, rules


def build_store(village):
    """The store of `village`: soap, rice and an item taken off the shelf."""
    return {
        "soap": StoreItem.objects.create(
            village=village, name="洗衣粉", unit="袋", points_price=10, stock=20
        ),
        "rice": StoreItem.objects.create(
            village=village, name="大米", unit="袋", points_price=50, stock=2
        ),
        "old": StoreItem.objects.create(
            village=village, name="旧暖瓶", unit="个", points_price=5, stock=9, active=False
        ),
    }


def person(village, household, username, *, role=None, grid=None, head=False):
    """A villager of `household` with a login `username`, head or holding `role` if asked."""
    user = UserFactory(username=username)
    villager = VillagerFactory(household=household, user=user, name=f"{village.name}{username}")
    if head:
        household.head = villager
        household.save()
    if role:
        MembershipFactory(villager=villager, role=role, grid=grid)
    return user


def build_world(prefix=""):
    """The points world; `prefix` keeps usernames unique when several worlds are built."""
    village = VillageFactory(name=f"{prefix}东毛铺村")
    grid1 = LargeGridFactory(village=village, name="第一网格")
    grid2 = LargeGridFactory(village=village, name="第二网格")
    area1 = AreaFactory(parent=grid1, name="东片")
    area2 = AreaFactory(parent=grid2, name="西片")
    h = [None] + [HouseholdFactory(village=village, area=area1) for _ in range(3)]
    h += [HouseholdFactory(village=village, area=area2) for _ in range(2)]
    people = {
        "resident": person(village, h[1], f"{prefix}villager", head=True),
        "neighbour": person(village, h[2], f"{prefix}villager2", head=True),
        "officer": person(village, h[3], f"{prefix}gridofficer", role="grid_officer", grid=grid1),
        "secretary": person(village, h[4], f"{prefix}secretary", role="secretary", head=True),
        "committee": person(village, h[5], f"{prefix}committee", role="village_committee"),
        "keeper": person(village, h[5], f"{prefix}storekeeper", role="store_keeper"),
    }
    people["inspector"] = TownshipMembershipFactory(
        township=village.township, role="inspector", user=UserFactory(username=f"{prefix}insp")
    ).user
    people["outsider"] = UserFactory(username=f"{prefix}outsider")
    catalogue, categories, rules = build_catalogue(village)

    foreign_village = VillageFactory(name=f"{prefix}远方村")
    foreign_area = AreaFactory(parent__village=foreign_village)
    foreign_home = HouseholdFactory(village=foreign_village, area=foreign_area)
    foreign_resident = person(foreign_village, foreign_home, f"{prefix}faraway", head=True)
    foreign_secretary = person(
        foreign_village,
        HouseholdFactory(village=foreign_village, area=foreign_area),
        f"{prefix}farsecretary",
        role="secretary",
    )
    _fc, _fcat, foreign_rules = build_catalogue(foreign_village)
    foreign = SimpleNamespace(
        village=foreign_village,
        household=foreign_home,
        resident=foreign_resident,
        secretary=foreign_secretary,
        rules=foreign_rules,
        items=build_store(foreign_village),
    )
    return SimpleNamespace(
        village=village,
        grid1=grid1,
        grid2=grid2,
        area1=area1,
        area2=area2,
        h=h,
        catalogue=catalogue,
        categories=categories,
        rules=rules,
        items=build_store(village),
        foreign=foreign,
        day=last_month_day(),
        **people,
    )


class Ledger:
    """Drives the points services for one world, as the cadres would."""

    def __init__(self, world):
        self.w = world

    def record(self, household, code="HJ01", *, actor=None, day=None, **kwargs):
        """Recorded by the grid officer — or, for the officer's own household (回避), by the
        secretary, as the village would."""
        if actor is None:
            own = villager_of(self.w.officer).household_id == household.pk
            actor = self.w.secretary if own else self.w.officer
        return services.entry_record(
            actor=actor,
            household=household,
            rule=self.w.rules[code],
            occurred_on=day or self.w.day,
            **kwargs,
        )

    def review(self, entries, *, actor=None, approve=True, note=""):
        """Reviewed by the committee member — the entries of their own household (回避) by the
        secretary."""
        if actor is not None:
            return services.entries_review(actor=actor, entries=entries, approve=approve, note=note)
        own = villager_of(self.w.committee).household_id
        found = Entry.objects.in_bulk([e.pk if isinstance(e, Entry) else e for e in entries])
        mine = [e for e in found.values() if e.account.household_id == own]
        if not mine or len(found) != len(entries):  # nothing to step aside from, or bad input
            return services.entries_review(
                actor=self.w.committee, entries=entries, approve=approve, note=note
            )
        rest = [e for e in found.values() if e not in mine]
        reviewed = []
        for reviewer, batch in ((self.w.committee, rest), (self.w.secretary, mine)):
            if batch:
                reviewed += services.entries_review(
                    actor=reviewer, entries=batch, approve=approve, note=note
                )
        return reviewed

    def publish(self, *, actor=None, month=None):
        return services.publication_create(
            actor=actor or self.w.secretary, village=self.w.village, month=month or self.w.day
        )

    def after_window(self, publication):
        return travel(publication.objection_ends_at + timedelta(minutes=1))

    def close(self, publication, *, actor=None):
        with self.after_window(publication):
            return services.publication_close(
                actor=actor or self.w.secretary, publication=publication
            )

    def published(self, *pairs):
        """Record and review (household, code) pairs, then publish them: (entries, pub)."""
        entries = [self.record(household, code) for household, code in pairs]
        self.review(entries)
        publication = self.publish()
        return [reload(e) for e in entries], publication

    def post(self, *pairs):
        """The whole lifecycle for (household, code) pairs; returns the posted entries."""
        entries, publication = self.published(*pairs)
        self.close(publication)
        return [reload(e) for e in entries]

    def open_year(self, base=None, carry_over=None, year=None):
        changes = {}
        if base is not None:
            changes["points_base"] = base
        if carry_over is not None:
            changes["points_carry_over"] = carry_over
        if changes:
            amend(self.w.village, **changes)
        return services.year_open(
            actor=self.w.secretary, village=self.w.village, year=year or self.w.day.year
        )


def published_resolution(
    village, *, status=MatterStatus.PUBLISHING, days_ago=1, title="修订积分制管理细则"
):
    """A matter of `village` whose resolution was published `days_ago` days ago."""
    matter = Matter.objects.create(
        village=village,
        title=title,
        body="积分制管理细则第二版全文。",
        category=MatterCategory.values[0],
        origin=Origin.CADRE,
        status=status,
        current_step=5,
    )
    starts = timezone.now() - timedelta(days=days_ago)
    MatterPublication.objects.create(
        matter=matter,
        kind=PublicationKind.RESOLUTION,
        text="经村民代表会议表决通过。",
        starts_at=starts,
        ends_at=starts + timedelta(days=7),
        required_days=7,
        rule_source="村民委员会组织法第三十条",
    )
    return matter


def deciding_resolution(
    village, text, *, category="collective_income", settled=True, title="年终福利分配方案"
):
    """A matter of `village` decided on `text` (its frozen version) and published: settled (its
    publication closed, implementing) or still in its publication window. Rows as the
    procedure leaves them; tests/points/test_welfare_resolution.py also runs the procedure."""
    matter = Matter.objects.create(
        village=village,
        title=title,
        body=text,
        category=category,
        origin=Origin.CADRE,
        status=MatterStatus.IMPLEMENTING if settled else MatterStatus.PUBLISHING,
        current_step=5,
        frozen_hash=text_sha256(title, text),
        frozen_at=timezone.now() - timedelta(days=10),
    )
    MatterVersion.objects.create(
        matter=matter, number=1, title=title, body=text, sha256=matter.frozen_hash
    )
    starts = timezone.now() - timedelta(days=8 if settled else 1)
    MatterPublication.objects.create(
        matter=matter,
        kind=PublicationKind.RESOLUTION,
        text="经村民代表会议表决通过。",
        starts_at=starts,
        ends_at=starts + timedelta(days=7),
        required_days=7,
        rule_source="村民委员会组织法第三十条",
        closed_at=starts + timedelta(days=7, hours=1) if settled else None,
    )
    return matter


def resolution_for(village, heading, items, **kwargs):
    """A settled resolution whose text carries `items` under `heading`, as the platform
    writes them into the matter it opens."""
    return deciding_resolution(village, f"按积分分配。\n\n{terms.block(heading, items)}", **kwargs)


def publish_allocation(world, allocation):
    """Publish `allocation` the lawful way: under a settled resolution quoting its terms."""
    matter = resolution_for(
        allocation.village, terms.ALLOCATION, selectors.allocation_terms(allocation)
    )
    return services.allocation_publish(
        actor=world.secretary, allocation=allocation, resolution=matter.pk
    )


def publish_star_round(world, star_round):
    matter = resolution_for(
        star_round.village,
        terms.STARS,
        selectors.star_round_terms(star_round),
        title="星级文明户评定方案",
    )
    return services.star_round_publish(
        actor=world.secretary, star_round=star_round, resolution=matter.pk
    )


def reload(obj):
    """`obj` read afresh from the database."""
    return type(obj).objects.get(pk=obj.pk)


def balance(household) -> int:
    """The household account's balance (0 without an account)."""
    account = Account.objects.filter(household=household, villager__isnull=True).first()
    return account.balance if account else 0


def posted_sum(household) -> int:
    """The sum of the household's posted entries."""
    total = Entry.objects.filter(
        account__household=household, account__villager__isnull=True, status=EntryStatus.POSTED
    ).aggregate(total=Sum("points"))["total"]
    return total or 0


def actions(village) -> list[str]:
    """The actions of the village's audit chain, in order."""
    return list(
        AuditEvent.objects.filter(chain=audit.chain_key(village=village))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def history_statuses(entry) -> list[str]:
    """The statuses an entry went through, from its simple-history rows, oldest first."""
    return list(
        Entry.history.filter(id=entry.pk).order_by("history_id").values_list("status", flat=True)
    )
