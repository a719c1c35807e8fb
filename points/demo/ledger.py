"""`PointsDemo`: plays the points story of 东毛铺村 on a simulated clock, through points.services.

Month by month: the grid officer of 三片区 (in their grid) and the cadres (anywhere) record 6–12
entries — the monthly 门前三包 check and the season's matters; villagers claim a few themselves.
On the 2nd of the next month a committee member who did not record an entry reviews it; on the
3rd the secretary publishes the month's list (积分公示) with the village's objection window (5
days); a few villagers object, some upheld (the entry is voided), some rejected; on the 9th the
close job posts the list. The store opens on the 20th. Base points: 2 January of last year, and
10 January of this year after December's list was posted (the village resets balances each
year). In January last year's star households are rated and published, one rating is revoked,
and ¥50,000 is shared by last year's points before the Spring Festival. The story's own events
are the rows of `story.STORY`.

Whatever the day of loading (`schedule_now`): late entries of the latest published month were
published two days ago as a supplementary list, open for objections for three more days, with
one objection waiting for an answer; the grid officer's check of yesterday waits for review, and
the current month's entries are recorded, not yet published.
"""

import heapq
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from village import extensions
from village.demo import clock
from village.models import Household, Membership, Village, Villager, VillageRole
from village.permissions import SYSTEM, villager_of

from .. import selectors, services
from ..models import (
    Account,
    Entry,
    EntryKind,
    EntryStatus,
    Objection,
    Publication,
    Redemption,
    StarRating,
)
from .data import (
    ALLOCATION_FLOOR,
    ANY_MONTH,
    BASKET,
    INSPECTION,
    POOL_FEN,
    RULES,
    SEASONS,
    SEED,
    STAR_THRESHOLDS,
    STORY_YEAR,
)
from .photos import site_photo
from .setup import catalogue_create, store_keeper_appoint, store_stock
from .story import ANY_HOUR, HOME, STORY, Record

# The phone villager who asks about the year-end benefit's list in its objection window.
OBJECTOR = 9

TZ = ZoneInfo("Asia/Shanghai")


def previous_month(month: date) -> date:
    """The first day of the month before `month`'s."""
    return (month - timedelta(days=1)).replace(day=1)


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at `hour`:`minute` in the village's time zone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


class PointsDemo:
    def __init__(self, village: Village, stdout=None):
        self.village = village
        self.stdout = stdout
        self.now = timezone.localtime(timezone.now(), TZ)
        self.year = self.now.year
        self.plan_rng = random.Random(SEED)  # what happens, decided before the clock runs
        self.run_rng = random.Random(SEED + 1)  # choices made while it runs (the counter)
        self.queue: list = []
        self.order = 0
        self.keys = 0
        self.used: dict[tuple, int] = defaultdict(int)
        self.tagged: dict[str, Entry] = {}
        self.objections: dict[str, Objection] = {}
        self.rejects: dict[int, str] = {}
        self.publications: dict[str, Publication] = {}
        User = get_user_model()
        self.user = {
            name: User.objects.get(username=name)
            for name in ("secretary", "committee", "gridofficer", "villager", "supervisor")
        }
        self.phone = {i: User.objects.get(username=f"138{i:08d}") for i in range(2, 21)}
        self.households = {
            h.number: h for h in Household.objects.filter(village=village).select_related("area")
        }
        self.own = {
            name: villager_of(user).household.number
            for name, user in self.user.items()
            if name != "villager"
        }
        officer = Membership.objects.get(
            villager__user=self.user["gridofficer"], role=VillageRole.GRID_OFFICER
        )
        self.officer_area = officer.grid_id
        self.in_grid = sorted(
            (h for h in self.households.values() if h.area_id == self.officer_area),
            key=lambda h: h.number,
        )
        # The demo villager's household has its own story (story.STORY), nothing random.
        self.home = villager_of(self.user["villager"]).household
        self.elsewhere = sorted(
            (
                h
                for h in self.households.values()
                if h.area_id != self.officer_area and h.pk != self.home.pk
            ),
            key=lambda h: h.number,
        )
        self.keeper = None  # the store keeper's login, and the catalogue and shelf (`build`)
        self.rules: dict = {}
        self.items: dict = {}

    def say(self, message):
        if self.stdout:
            self.stdout.write(message)

    def person(self, who):
        """A demo login by name, or a phone villager by the number after 138."""
        return self.phone[who] if isinstance(who, int) else self.user[who]

    def number(self, household: str) -> str:
        return self.home.number if household == HOME else household

    # -- the simulated clock ---------------------------------------------------------------

    def at(self, when: datetime, fn, *args, **kwargs):
        heapq.heappush(self.queue, (when, self.order, fn, args, kwargs))
        self.order += 1

    def run(self):
        """Play the story up to now; what it planned for later has not happened yet."""
        while self.queue:
            when, _order, fn, args, kwargs = heapq.heappop(self.queue)
            if when > self.now:
                break
            with clock(when):
                fn(*args, **kwargs)

    def when(self, at: tuple) -> datetime:
        """A moment of `story.STORY`: (0 last year | 1 this year, month, day, hour[, minute])."""
        year, month, day, hour, *minute = at
        if hour is ANY_HOUR:
            hour = self.plan_rng.randint(9, 16)
        return moment(date(self.year - 1 + year, month, day), hour, *minute)

    # -- recording -------------------------------------------------------------------------

    def recorder_for(self, household: Household):
        """The grid officer records in their own area; elsewhere the cadres do (never for
        their own household)."""
        if household.area_id == self.officer_area and household.number != self.own["gridofficer"]:
            return self.user["gridofficer"]
        if household.number == self.own["committee"]:
            return self.user["secretary"]
        if household.number == self.own["secretary"]:
            return self.user["committee"]
        return self.user["committee" if self.plan_rng.random() < 0.7 else "secretary"]

    def plan(
        self,
        number,
        code,
        occurred_on: date,
        reason="",
        *,
        at=None,
        by=None,
        claim=False,
        tag=None,
        reject=None,
    ) -> bool:
        """Schedule one recording (or a villager's claim); False when the rule's yearly cap for
        the household is already used."""
        household = self.households[number]
        rule_cap = next(r[3] for r in RULES if r[0] == code)
        key = (household.pk, code, occurred_on.year)
        if rule_cap and self.used[key] >= rule_cap:
            return False
        self.used[key] += 1
        if by is None:
            by = self.user["villager"] if claim else self.recorder_for(household)
        when = at or moment(occurred_on, self.plan_rng.randint(9, 16), self.plan_rng.randint(0, 59))
        reason = reason.format(m=occurred_on.month, y=occurred_on.year)
        self.at(when, self.record, household, code, occurred_on, reason, by, claim, tag, reject)
        return True

    def record(self, household, code, occurred_on, reason, by, claim, tag, reject):
        rule = self.rules[code]
        self.keys += 1
        key = f"demo-{self.village.code}-{self.keys:04d}"
        photo = None
        if rule.evidence_required:
            photo = site_photo(self.run_rng, f"{code.lower()}-{self.keys:04d}.jpg")
        if claim:
            entry = services.entry_claim(
                actor=by, rule=rule, occurred_on=occurred_on, reason=reason, photo=photo, key=key
            )
        else:
            entry = services.entry_record(
                actor=by,
                household=household,
                rule=rule,
                occurred_on=occurred_on,
                reason=reason,
                photo=photo,
                idempotency_key=key,
            )
        if tag:
            self.tagged[tag] = entry
        if reject:
            self.rejects[entry.pk] = reject

    def pick(self, *, in_grid: bool) -> str:
        pool = self.in_grid if in_grid else self.elsewhere
        return self.plan_rng.choice(pool).number

    def plan_month(self, month: date):
        """The background of a month: the 门前三包 check at the month's end and the season."""
        rng = self.plan_rng
        last = 28
        checks_from, checks_to = 24, 27
        checks = ["HJ01"] * rng.randint(2, 4) + ["HJ02"] * rng.randint(1, 2)
        if rng.random() < 0.4:
            checks.append("HJ07")
        for code in checks:
            day = month.replace(day=rng.randint(checks_from, checks_to))
            self.plan(self.pick(in_grid=rng.random() < 0.3), code, day, INSPECTION[code])
        season = [
            s
            for s in SEASONS[month.month]
            if len(s) == 2 or s[2] + self.year - STORY_YEAR == month.year
        ]
        extra = [rng.choice(season) for _i in range(rng.randint(2, 4))]
        extra += [rng.choice(ANY_MONTH) for _i in range(rng.randint(0, 2))]
        for code, reason, *_year in extra:
            day = month.replace(day=rng.randint(1, last))
            self.plan(self.pick(in_grid=rng.random() < 0.3), code, day, reason)

    # -- review, publication, objections ----------------------------------------------------

    def review(self, before: date | None = None):
        """A committee member who did not record an entry reviews it (the secretary reviews
        what the committee member recorded)."""
        pending = Entry.objects.filter(
            village=self.village, status__in=[EntryStatus.RECORDED, EntryStatus.CLAIMED]
        ).order_by("pk")
        if before is not None:
            pending = pending.filter(occurred_on__lt=before)
        committee, secretary = self.user["committee"], self.user["secretary"]
        groups: dict = defaultdict(list)
        for entry in pending:
            reviewer = secretary if entry.recorded_by_id == committee.pk else committee
            note = self.rejects.get(entry.pk)
            if note:
                services.entries_review(actor=reviewer, entries=[entry], approve=False, note=note)
            else:
                groups[reviewer].append(entry)
        for reviewer, entries in groups.items():
            services.entries_review(actor=reviewer, entries=entries, approve=True)

    def publish(self, month: date, name: str, if_any: bool = False):
        try:
            self.publications[name] = services.publication_create(
                actor=self.user["secretary"], village=self.village, month=month
            )
        except ValidationError as exc:
            # A supplementary list whose entries the month's own list already took.
            if not (if_any and exc.code == "empty"):
                raise

    def close(self, name: str):
        # As the `close_point_publications` cron job does it: the system.
        services.publication_close(actor=SYSTEM, publication=self.publications[name])

    def object(self, tag: str, who, text: str):
        """`who` (a login's name or a phone villager's number) objects to the tagged entry."""
        if tag not in self.tagged:  # not recorded: the rule's yearly cap was used
            return
        self.objections[tag] = services.objection_file(
            actor=self.person(who), entry=self.tagged[tag], text=text
        )

    def answer(self, tag: str, upheld: bool, text: str):
        services.objection_answer(
            actor=self.user["committee"], objection=self.objections[tag], upheld=upheld, answer=text
        )

    def reverse(self, tag: str, reason: str):
        services.entry_reverse(actor=self.user["secretary"], entry=self.tagged[tag], reason=reason)

    # -- the store counter -------------------------------------------------------------------

    def redeem(self, number: str, item: str, quantity: int = 1):
        self.keys += 1
        services.redeem(
            actor=self.keeper,
            household=self.households[self.number(number)],
            item=self.items[item],
            quantity=quantity,
            idempotency_key=f"demo-{self.village.code}-r{self.keys:04d}",
        )

    def store_day(self, visitors: int):
        """Households that come to the counter spend what they have on everyday goods."""
        rng = self.run_rng
        names = [name for name, _q, _w in BASKET]
        weights = [w for _n, _q, w in BASKET]
        served = set()
        for _i in range(visitors):
            name = rng.choices(names, weights)[0]
            quantity = next(q for n, q, _w in BASKET if n == name)
            item = self.items[name]
            item.refresh_from_db(fields=["stock"])
            cost = item.points_price * quantity
            if item.stock < quantity:
                continue
            candidates = list(
                Account.objects.filter(
                    village=self.village, villager__isnull=True, balance__gte=cost
                )
                .exclude(household_id__in=served)
                .exclude(household=self.home)
                .order_by("pk")
                .values_list("household__number", "household_id")
            )
            if not candidates:
                continue
            number, household_id = rng.choice(candidates)
            served.add(household_id)
            self.redeem(number, name, quantity)

    # -- welfare -------------------------------------------------------------------------------

    def year_open(self, year: int):
        services.year_open(actor=self.user["secretary"], village=self.village, year=year)

    def stars_rate(self):
        self.star_round = services.star_round_rate(
            actor=self.user["secretary"],
            village=self.village,
            year=self.year - 1,
            thresholds=STAR_THRESHOLDS,
        )
        # A household rated three stars or more whose member was then punished for gambling:
        # the rating is revoked (村规民约第三十九条) and it drops out of the year-end benefit.
        users = Villager.objects.filter(village=self.village, user__isnull=False)
        rating = (
            StarRating.objects.filter(round=self.star_round, stars__gte=3)
            .exclude(household_id__in=users.values("household_id"))
            .order_by("-score", "household__number")
            .first()
        )
        self.revoked = rating
        if rating is None:
            return
        day = date(self.year, 1, 18)
        self.plan(
            rating.household.number,
            "ZF07",
            day,
            "户内成员参与赌博，被县公安局处以行政拘留十日",
            at=moment(day, 15, 20),
            by=self.user["committee"],
        )

    def decide(self, propose, publish):
        """Open the deciding matter now (`propose`), take it through the four steps on the
        simulated clock, and plan `publish` for the day its resolution has settled."""
        ref, _url = propose()
        settled = extensions.demo_resolution(ref=ref, start=timezone.now())
        self.at(settled, publish, ref)

    def stars_decide(self):
        self.decide(
            lambda: services.star_round_propose(
                actor=self.user["secretary"], star_round=self.star_round
            ),
            self.stars_publish,
        )

    def stars_publish(self, ref: int):
        services.star_round_publish(
            actor=self.user["secretary"], star_round=self.star_round, resolution=ref
        )

    def stars_revoke(self):
        if self.revoked is None:
            return
        services.star_rating_revoke(
            actor=self.user["secretary"],
            rating=self.revoked,
            reason=(
                f"户内成员{self.year}年1月参与赌博受到行政处罚，"
                "依据村规民约第三十九条取消其星级和当年评先树优资格"
            ),
        )

    def allocate(self):
        allocation = services.allocation_create(
            actor=self.user["secretary"],
            village=self.village,
            year=self.year - 1,
            title=f"{self.year - 1}年度户积分奖励金（春节福利）",
            pool_fen=POOL_FEN,
            floor=ALLOCATION_FLOOR,
            ineligible=selectors.revoked_star_households(village=self.village, year=self.year - 1),
        )
        self.allocation = allocation

    def allocation_decide(self):
        self.decide(
            lambda: services.allocation_propose(
                actor=self.user["secretary"], allocation=self.allocation
            ),
            self.allocation_publish,
        )

    def allocation_publish(self, ref: int):
        services.allocation_publish(
            actor=self.user["secretary"], allocation=self.allocation, resolution=ref
        )
        # The supervision committee checked the list against the resolution: it countersigns.
        services.allocation_supervise(
            actor=self.user["supervisor"],
            allocation=self.allocation,
            stance="countersign",
            text="同意。名单、金额与村民代表会议决议一致，已逐户核对。",
        )
        # A villager asks about the list in its window; the committee answers the next day.
        objection = services.allocation_object(
            actor=self.phone[OBJECTOR],
            allocation=self.allocation,
            text="我家去年的环境卫生扣分已经冲正，名单里的得分是不是按冲正后算的？",
        )
        self.at(
            timezone.now() + timedelta(days=1),
            services.allocation_objection_answer,
            actor=self.user["committee"],
            objection=objection,
            answer="已核对：得分按冲正后的年度得分计算，名单无误。",
        )

    # -- the story -------------------------------------------------------------------------------

    def schedule(self):
        """Plan the story: the base points of each year, the months' routine, the rows of
        `story.STORY` in their order, and what is under way on the day of loading."""
        y0, y1 = self.year - 1, self.year  # the story's 2025 and 2026
        self.at(moment(date(y0, 1, 2), 9), self.year_open, y0)
        self.at(moment(date(y1, 1, 10), 9), self.year_open, y1)
        self.schedule_months()
        for row in STORY:
            if isinstance(row, Record):
                self.schedule_record(row)
            else:
                self.at(self.when(row.at), getattr(self, row.action), *row.args)
        self.schedule_now()

    def schedule_months(self):
        """Each month: its background entries, then review, list and close in the next month,
        and the store's day on the 20th."""
        this_month = selectors.month_start(day=self.now.date())
        month = date(self.year - 1, 1, 1)
        while month <= this_month:
            self.plan_month(month)
            if month < this_month:
                after = selectors.next_month(day=month)
                name = f"{month:%Y-%m}"
                self.at(moment(after.replace(day=2), 9, 30), self.review, after)
                self.at(moment(after.replace(day=3), 10), self.publish, month, name)
                self.at(moment(after.replace(day=9), 8), self.close, name)
            visitors = self.plan_rng.randint(1, 3)
            self.at(moment(month.replace(day=20), 14), self.store_day, visitors)
            month = selectors.next_month(day=month)
        # Before the balances are reset, December is the store's busiest month.
        for day in (23, 27, 30):
            self.at(moment(date(self.year - 1, 12, day), 10), self.store_day, 4)

    def schedule_record(self, row: Record):
        """Plan one of the story's entries; they must all be recorded: fail loudly on a cap."""
        at = self.when(row.at) if row.at else None
        year, month, day = row.occurred_on
        occurred_on = date(self.year - 1 + year, month, day)
        planned = self.plan(
            self.number(row.household),
            row.code,
            occurred_on,
            row.reason,
            at=at,
            by=None if row.by is None else self.person(row.by),
            claim=row.claim,
            tag=row.tag,
            reject=row.reject,
        )
        if not planned:
            raise RuntimeError(f"points demo: yearly cap reached for {row.household, row.code}")

    def schedule_now(self):
        """What is under way on the day of loading, whatever the day: late entries of the
        latest published month, reviewed and published two days ago as a supplementary list
        still open for objections (one objection waiting for an answer), and the grid officer's
        check of yesterday waiting for review."""
        now = self.now

        def back(days: int, hour: int, minute: int = 0) -> datetime:
            return moment((now - timedelta(days=days)).date(), hour, minute)

        published = back(2, 11)
        latest = selectors.month_start(day=published.date())  # its month's list is out on the 3rd
        late = previous_month(latest if published.day >= 3 else previous_month(latest))
        day = late.replace(day=25)
        for i, number in enumerate((self.home.number, "DMP-037", "DMP-230", "DMP-275")):
            self.plan(
                number,
                "HJ01",
                day,
                INSPECTION["HJ01"] + "（检查表晚交，补登）",
                at=back(4, 15, 10 * i),
                tag=f"late-{number}",
            )
        self.at(back(3, 10), self.review, selectors.next_month(day=late))
        self.at(published, self.publish, late, "supplementary", True)
        self.at(
            back(1, 9, 30),
            self.object,
            "late-DMP-230",
            13,
            "他家门前的柴草堆了一个多月，检查那几天才临时挪开的。",
        )
        officer = self.user["gridofficer"]
        yesterday = (now - timedelta(days=1)).date()
        for i, (number, code) in enumerate((("DMP-037", "HJ01"), ("DMP-040", "HJ07"))):
            self.plan(number, code, yesterday, INSPECTION[code], at=back(1, 15, 20 * i), by=officer)

    def build(self):
        y0 = self.year - 1
        with clock(moment(date(y0 - 1, 12, 26), 15)):
            self.rules = catalogue_create(self.village, self.user["secretary"], self.year)
        with clock(moment(date(y0 - 1, 12, 30), 10)):
            self.keeper = store_keeper_appoint(self.village, self.year)
        with clock(moment(date(y0, 1, 2), 10)):
            self.items = store_stock(self.village, self.keeper)
        self.schedule()
        self.run()

    def summary(self) -> str:
        v = self.village
        entries = Entry.objects.filter(village=v)
        conduct = entries.filter(kind=EntryKind.CONDUCT)
        objections = Objection.objects.filter(village=v)
        return (
            f"  积分: {len(self.rules)} 条规则, {len(self.items)} 种超市物品, "
            f"{conduct.count()} 笔加减分（{conduct.filter(status=EntryStatus.POSTED).count()} "
            f"笔已入账）, {Publication.objects.filter(village=v).count()} 期公示, "
            f"{objections.count()} 条异议, "
            f"{entries.filter(kind=EntryKind.REVERSAL).count()} 笔冲正, "
            f"{Redemption.objects.filter(village=v).count()} 笔兑换"
        )
