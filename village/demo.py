"""The demo township: 东毛铺村 as the seed report describes it, and a smaller 西河村.

Everything is generated from fixed seeds (Faker zh_CN and `random.Random`), so two runs on two
machines give the same villages. The township and 西河村 are fictional; people are invented.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from unittest import mock

from django.contrib.auth import base_user, get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from faker import Faker
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import audit, services
from .models import (
    Gender,
    Grid,
    GridLevel,
    Household,
    PartyMembership,
    Township,
    TownshipRole,
    Village,
    Villager,
    VillageRole,
)

SEED = 20180301
PASSWORD = "demo12345"
# The register's census day: births count back from it, so the same people, of the same ages
# then, are generated on whatever day the demo is loaded (the other apps date from that day).
TODAY = date(2026, 11, 27)
TERM_START = date(2021, 3, 1)  # the two committees elected in the 2021 round
# Open-ended: with a fixed end the demo village would lose all its representatives on that day,
# however recently it was loaded. A cadre records the end when the next term is elected.
REP_TERM = (date(2021, 3, 1), None)
REGION = "370124"  # 平阴县's administrative division code
CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMBERS[n - 11]
    return CHINESE_NUMBERS[n // 10 - 1] + "十" + (CHINESE_NUMBERS[n % 10 - 1] if n % 10 else "")


def id_number(birth: date, sequence: int, male: bool) -> str:
    """A well-formed (checksummed) but invented ID number."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    body = f"{REGION}{birth:%Y%m%d}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


@dataclass
class VillagePlan:
    name: str
    code: str
    large_grids: int
    areas: int
    households: int
    prefix: str


MAIN = VillagePlan("东毛铺村", "dongmaopu", 2, 18, 320, "DMP")
SECOND = VillagePlan("西河村", "xihe", 1, 3, 45, "XH")

STREETS = ["东街", "西街", "南街", "北街", "前街", "后街", "中心街", "河沿", "山前", "新村路"]


@contextmanager
def one_password_hash():
    """Every demo account has the same published password: hash it once, not once per account
    (a hash costs about 0.2 s, and the demo has hundreds of accounts). Demo data only."""
    hashed = make_password(PASSWORD)
    real = base_user.make_password

    def cached(password, *args, **kwargs):
        if password == PASSWORD and not args and not kwargs:
            return hashed
        return real(password, *args, **kwargs)

    with mock.patch.object(base_user, "make_password", cached):
        yield


class DemoBuilder:
    def __init__(self, stdout=None):
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        self.rng = random.Random(SEED)
        self.sequence = 0
        self.stdout = stdout
        self.User = get_user_model()

    def say(self, message):
        if self.stdout:
            self.stdout.write(message)

    # -- people --------------------------------------------------------------

    def person(self, village, household, *, age_range, male, relation, surname=None):
        age = self.rng.randint(*age_range)
        birth = TODAY - timedelta(days=age * 365 + self.rng.randint(0, 364))
        self.sequence += 1
        given = self.fake.first_name_male() if male else self.fake.first_name_female()
        name = (surname or self.fake.last_name()) + given
        return Villager(
            village=village,
            household=household,
            name=name,
            id_number=id_number(birth, self.sequence, male),
            birth_date=birth,
            gender=Gender.MALE if male else Gender.FEMALE,
            relation_to_head=relation,
        )

    def family(self, village, household) -> list[Villager]:
        rng = self.rng
        head_male = rng.random() < 0.85
        head = self.person(village, household, age_range=(28, 78), male=head_male, relation="户主")
        surname = head.name[0]
        members = [head]
        head_age = (TODAY - head.birth_date).days // 365
        if rng.random() < 0.85:
            members.append(
                self.person(
                    village,
                    household,
                    age_range=(max(20, head_age - 6), head_age + 3),
                    male=not head_male,
                    relation="配偶",
                )
            )
        for _i in range(rng.choice([0, 1, 1, 2, 2, 3])):
            if head_age < 22:
                break
            male = rng.random() < 0.5
            members.append(
                self.person(
                    village,
                    household,
                    age_range=(max(0, head_age - 40), max(0, head_age - 20)),
                    male=male,
                    relation="儿子" if male else "女儿",
                    surname=surname,
                )
            )
        if head_age < 55 and rng.random() < 0.35:
            male = rng.random() < 0.4
            members.append(
                self.person(
                    village,
                    household,
                    age_range=(head_age + 22, min(95, head_age + 32)),
                    male=male,
                    relation="父亲" if male else "母亲",
                    surname=surname if male else None,
                )
            )
        return members

    # -- villages --------------------------------------------------------------

    def build_village(self, township, plan: VillagePlan) -> Village:
        village = services.village_create(
            actor=None, township=township, name=plan.name, code=plan.code
        )
        large = []
        for i in range(1, plan.large_grids + 1):
            large.append(
                services.grid_create(
                    actor=None,
                    village=village,
                    name=f"第{chinese_number(i)}网格",
                    level=GridLevel.LARGE,
                )
            )
        areas = []
        per_grid = plan.areas // plan.large_grids
        for i in range(1, plan.areas + 1):
            parent = large[min((i - 1) // per_grid, len(large) - 1)]
            areas.append(
                services.grid_create(
                    actor=None,
                    village=village,
                    name=f"{chinese_number(i)}片区",
                    level=GridLevel.AREA,
                    parent=parent,
                )
            )
        households = []
        for n in range(1, plan.households + 1):
            area = areas[(n - 1) * len(areas) // plan.households]
            street = STREETS[areas.index(area) % len(STREETS)]
            households.append(
                Household(
                    village=village,
                    number=f"{plan.prefix}-{n:03d}",
                    area=area,
                    address=f"{plan.name}{area.parent.name}{street}{n}号",
                )
            )
        households = bulk_create_with_history(households, Household)
        households = list(Household.objects.filter(village=village).order_by("number"))
        villagers = []
        for household in households:
            villagers.extend(self.family(village, household))
        bulk_create_with_history(villagers, Villager)
        villagers = list(
            Villager.objects.filter(village=village).order_by("household__number", "id")
        )
        heads = {}
        for v in villagers:
            if v.relation_to_head == "户主":
                heads[v.household_id] = v
        for household in households:
            household.head = heads[household.pk]
        bulk_update_with_history(households, Household, ["head"])
        audit.record_many(
            actor=None,
            village=village,
            events=[
                audit.Event("village.household.create", h, {"number": h.number, "area": h.area_id})
                for h in households
            ]
            + [
                audit.Event(
                    "village.villager.create",
                    v,
                    {"household": v.household_id, "id_number": v.masked_id_number},
                )
                for v in villagers
            ],
        )
        self.say(f"  {plan.name}: {len(households)} 户, {len(villagers)} 人, {len(areas)} 片区")
        return village

    def adults(self, village, min_age=18, max_age=75):
        latest = TODAY - timedelta(days=min_age * 366)
        earliest = TODAY - timedelta(days=max_age * 365)
        return list(
            Villager.objects.filter(
                village=village, birth_date__lte=latest, birth_date__gte=earliest
            )
            .select_related("household")
            .order_by("id")
        )

    def mark(self, villagers, **fields):
        for v in villagers:
            for name, value in fields.items():
                setattr(v, name, value)
        bulk_update_with_history(villagers, Villager, list(fields))
        for v in villagers:
            audit.record(
                actor=None,
                action="village.villager.update",
                obj=v,
                payload={name: str(value) for name, value in fields.items()},
            )

    def account(self, username, villager=None, *, first_name="", phone=None):
        if villager is None:
            user = self.User(username=username, first_name=first_name or username)
            user.set_password(PASSWORD)
            user.save()
            return user
        if phone:
            villager = services.villager_update(actor=None, villager=villager, phone=phone)
        return services.account_create(
            actor=None, villager=villager, username=username, password=PASSWORD
        )

    def staff_village(self, village, *, cadres, supervision, reps, party_full, party_prob):
        """Party members, representatives, the two committees, supervision, grid officers."""
        rng = self.rng
        pool = self.adults(village, 25, 70)
        rng.shuffle(pool)
        # one person per household for cadres, so attendance lists look like a real village
        seen, distinct = set(), []
        for v in pool:
            if v.household_id not in seen:
                seen.add(v.household_id)
                distinct.append(v)
        cadre_people = distinct[: cadres["total"]]
        rest = distinct[cadres["total"] :]
        full = cadre_people[: cadres["branch"]] + rest[: party_full - cadres["branch"]]
        rest = rest[party_full - cadres["branch"] :]
        probationary = rest[:party_prob]
        rest = rest[party_prob:]
        self.mark(full, party_membership=PartyMembership.FULL)
        self.mark(probationary, party_membership=PartyMembership.PROBATIONARY)
        representatives = rest[:reps]
        rest = rest[reps:]
        self.mark(
            representatives,
            is_representative=True,
            representative_from=REP_TERM[0],
            representative_to=REP_TERM[1],
        )
        supervisors = rest[:supervision]
        rest = rest[supervision:]

        secretary = cadre_people[0]
        branch = cadre_people[1 : cadres["branch"]]
        cross = branch[: cadres["cross"] - 1]
        committee_only = cadre_people[cadres["branch"] :]

        def appoint(villager, role, grid=None):
            services.membership_create(
                actor=None,
                village=village,
                villager=villager,
                role=role,
                start=TERM_START,
                grid=grid,
            )

        appoint(secretary, VillageRole.SECRETARY)
        appoint(secretary, VillageRole.VILLAGE_COMMITTEE)  # 一肩挑
        for v in branch:
            appoint(v, VillageRole.BRANCH_COMMITTEE)
        for v in cross + committee_only:
            appoint(v, VillageRole.VILLAGE_COMMITTEE)
        for v in supervisors:
            appoint(v, VillageRole.SUPERVISION)
        officers = {}
        areas = list(Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("id"))
        for area in areas:
            officer = next(v for v in rest if v.household.area_id == area.pk)
            rest.remove(officer)
            appoint(officer, VillageRole.GRID_OFFICER, grid=area)
            officers[area.name] = officer
        return {
            "secretary": secretary,
            "committee": committee_only[0],
            "supervisor": supervisors[0],
            "officers": officers,
            "taken": {v.pk for v in cadre_people + supervisors + list(officers.values())},
        }

    @transaction.atomic
    def build(self):
        township = Township.objects.create(name="云岭镇", code="yunling")
        audit.record(actor=None, action="village.township.create", obj=township, township=township)
        main = self.build_village(township, MAIN)
        staff = self.staff_village(
            main,
            cadres={"total": 10, "branch": 7, "cross": 3},
            supervision=3,
            reps=30,
            party_full=39,
            party_prob=6,
        )
        second = self.build_village(township, SECOND)
        staff2 = self.staff_village(
            second,
            cadres={"total": 5, "branch": 3, "cross": 2},
            supervision=3,
            reps=8,
            party_full=9,
            party_prob=1,
        )
        # Demo accounts of DESIGN.md.
        self.account("secretary", staff["secretary"], phone="13900000001")
        self.account("committee", staff["committee"], phone="13900000002")
        self.account("gridofficer", staff["officers"]["三片区"], phone="13900000003")
        self.account("supervisor", staff["supervisor"], phone="13900000004")
        self.account("xihe_secretary", staff2["secretary"], phone="13900000011")
        inspector = self.account("inspector", first_name="乡镇巡查员")
        services.township_membership_create(
            actor=None,
            township=township,
            user=inspector,
            role=TownshipRole.INSPECTOR,
            start=TERM_START,
        )
        township_admin = self.account("township", first_name="乡镇管理员")
        services.township_membership_create(
            actor=None,
            township=township,
            user=township_admin,
            role=TownshipRole.ADMIN,
            start=TERM_START,
        )
        # Twenty adult villagers, each in a different household, spread over the areas.
        candidates = [
            v for v in self.adults(main, 20, 70) if v.pk not in staff["taken"] and v.user_id is None
        ]
        by_area: dict[int, list[Villager]] = {}
        for v in candidates:
            by_area.setdefault(v.household.area_id, []).append(v)
        chosen, used_households = [], set()
        while len(chosen) < 20:
            for area_id in sorted(by_area):
                for v in by_area[area_id]:
                    if v.household_id not in used_households:
                        chosen.append(v)
                        used_households.add(v.household_id)
                        by_area[area_id].remove(v)
                        break
                if len(chosen) == 20:
                    break
        for i, v in enumerate(chosen, start=1):
            phone = f"138{i:08d}"
            self.account("villager" if i == 1 else phone, v, first_name=v.name, phone=phone)
        from . import extensions

        for builder in extensions.demo_builders():
            builder(township, self.stdout)
        return township

    def finish(self):
        """After the transaction: build the search index now rather than wait for a worker."""
        from django.core.management import call_command

        call_command("update_index", verbosity=0)
