"""`DemoBuilder`: registers the demo township through `village.services` — villages, grids,
households, villagers, offices and logins — then runs every app's registered demo builder."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from faker import Faker

from .. import audit, extensions, services
from ..models import (
    Gender,
    Grid,
    GridLevel,
    PartyMembership,
    Township,
    TownshipRole,
    Villager,
    VillageRole,
)
from ..permissions import SYSTEM
from .party import build_party
from .plan import (
    CADRE_ACCOUNTS,
    MAIN,
    PASSWORD,
    PHONE_VILLAGERS,
    REP_TERM,
    SECOND,
    SEED,
    STREETS,
    TERM_START,
    TODAY,
    Staffing,
    VillagePlan,
    chinese_number,
    id_number,
)


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

    def person(self, household, *, age_range, male, relation, surname=None) -> dict:
        """The register fields of one invented person (what `villager_create` takes)."""
        age = self.rng.randint(*age_range)
        birth = TODAY - timedelta(days=age * 365 + self.rng.randint(0, 364))
        self.sequence += 1
        given = self.fake.first_name_male() if male else self.fake.first_name_female()
        name = (surname or self.fake.last_name()) + given
        return {
            "household": household,
            "name": name,
            "id_number": id_number(birth, self.sequence, male),
            "birth_date": birth,
            "gender": Gender.MALE if male else Gender.FEMALE,
            "relation_to_head": relation,
        }

    def family(self, household) -> list[dict]:
        """A head of household, most often a spouse, a few children, sometimes a parent."""
        rng = self.rng
        head_male = rng.random() < 0.85
        head = self.person(household, age_range=(28, 78), male=head_male, relation="户主")
        surname = head["name"][0]
        members = [head]
        head_age = (TODAY - head["birth_date"]).days // 365
        if rng.random() < 0.85:
            spouse_ages = (max(20, head_age - 6), head_age + 3)
            members.append(
                self.person(household, age_range=spouse_ages, male=not head_male, relation="配偶")
            )
        for _i in range(rng.choice([0, 1, 1, 2, 2, 3])):
            if head_age < 22:
                break
            male = rng.random() < 0.5
            members.append(
                self.person(
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
                    household,
                    age_range=(head_age + 22, min(95, head_age + 32)),
                    male=male,
                    relation="父亲" if male else "母亲",
                    surname=surname if male else None,
                )
            )
        return members

    # -- villages --------------------------------------------------------------

    def grids(self, village, plan: VillagePlan) -> list[Grid]:
        """The large grids and their areas; returns the areas."""
        large = [
            services.grid_create(
                actor=SYSTEM,
                village=village,
                name=f"第{chinese_number(i)}网格",
                level=GridLevel.LARGE,
            )
            for i in range(1, plan.large_grids + 1)
        ]
        per_grid = plan.areas // plan.large_grids
        return [
            services.grid_create(
                actor=SYSTEM,
                village=village,
                name=f"{chinese_number(i)}片区",
                level=GridLevel.AREA,
                parent=large[min((i - 1) // per_grid, len(large) - 1)],
            )
            for i in range(1, plan.areas + 1)
        ]

    def build_village(self, township, plan: VillagePlan):
        village = services.village_create(
            actor=SYSTEM, township=township, name=plan.name, code=plan.code
        )
        areas = self.grids(village, plan)
        registers = []
        for n in range(1, plan.households + 1):
            area = areas[(n - 1) * len(areas) // plan.households]
            street = STREETS[areas.index(area) % len(STREETS)]
            registers.append(
                {
                    "number": f"{plan.prefix}-{n:03d}",
                    "area": area,
                    "address": f"{plan.name}{area.parent.name}{street}{n}号",
                }
            )
        households = services.households_create(actor=SYSTEM, village=village, households=registers)
        people = [
            {**fields, "make_head": fields["relation_to_head"] == "户主"}
            for household in households
            for fields in self.family(household)
        ]
        services.villagers_create(actor=SYSTEM, village=village, people=people)
        self.say(f"  {plan.name}: {len(households)} 户, {len(people)} 人, {len(areas)} 片区")
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

    def mark(self, village, villagers, **fields):
        services.villagers_update(actor=SYSTEM, village=village, villagers=villagers, **fields)

    # -- logins --------------------------------------------------------------

    def staff_account(self, username, *, first_name):
        """A login of township staff, who are not villagers. No service creates one (the
        superuser adds them in the admin), so the demo saves the user itself."""
        user = self.User(username=username, first_name=first_name)
        user.set_password(PASSWORD)
        user.save()
        return user

    def villager_account(self, username, villager, *, phone):
        villager = services.villager_update(actor=SYSTEM, villager=villager, phone=phone)
        return services.account_create(
            actor=SYSTEM, villager=villager, username=username, password=PASSWORD
        )

    # -- offices ---------------------------------------------------------------

    def staff_village(self, village, staffing: Staffing) -> tuple[dict, set]:
        """Party members, representatives, the two committees, supervision, grid officers.

        Returns the office holders the demo accounts go to (by office, grid officers by area
        name) and the ids of everyone holding an office."""
        pool = self.adults(village, 25, 70)
        self.rng.shuffle(pool)
        # one person per household for cadres, so attendance lists look like a real village
        seen, distinct = set(), []
        for v in pool:
            if v.household_id not in seen:
                seen.add(v.household_id)
                distinct.append(v)
        cadre_people = distinct[: staffing.cadres]
        rest = distinct[staffing.cadres :]
        full_from_rest = staffing.party_full - staffing.branch
        full = cadre_people[: staffing.branch] + rest[:full_from_rest]
        rest = rest[full_from_rest:]
        probationary = rest[: staffing.party_probationary]
        rest = rest[staffing.party_probationary :]
        self.mark(village, full, party_membership=PartyMembership.FULL)
        self.mark(village, probationary, party_membership=PartyMembership.PROBATIONARY)
        representatives = rest[: staffing.representatives]
        rest = rest[staffing.representatives :]
        self.mark(
            village,
            representatives,
            is_representative=True,
            representative_from=REP_TERM[0],
            representative_to=REP_TERM[1],
        )
        supervisors = rest[: staffing.supervision]
        rest = rest[staffing.supervision :]
        self.appoint_committees(village, cadre_people, supervisors, staffing)
        officers = self.appoint_grid_officers(village, rest)
        offices = {
            "secretary": cadre_people[0],
            "committee": cadre_people[staffing.branch],
            "supervisor": supervisors[0],
            **officers,
        }
        return offices, {v.pk for v in cadre_people + supervisors + list(officers.values())}

    def appoint(self, village, villager, role, grid=None):
        services.membership_create(
            actor=SYSTEM, village=village, villager=villager, role=role, start=TERM_START, grid=grid
        )

    def appoint_committees(self, village, cadre_people, supervisors, staffing: Staffing):
        secretary = cadre_people[0]
        branch = cadre_people[1 : staffing.branch]
        cross = branch[: staffing.cross - 1]
        committee_only = cadre_people[staffing.branch :]
        self.appoint(village, secretary, VillageRole.SECRETARY)
        self.appoint(village, secretary, VillageRole.VILLAGE_COMMITTEE)  # 一肩挑
        for v in branch:
            self.appoint(village, v, VillageRole.BRANCH_COMMITTEE)
        for v in cross + committee_only:
            self.appoint(village, v, VillageRole.VILLAGE_COMMITTEE)
        for v in supervisors:
            self.appoint(village, v, VillageRole.SUPERVISION)

    def appoint_grid_officers(self, village, rest: list) -> dict:
        """One grid officer per area, living in it; by area name. Takes them out of `rest`."""
        officers = {}
        areas = Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("id")
        for area in areas:
            officer = next(v for v in rest if v.household.area_id == area.pk)
            rest.remove(officer)
            self.appoint(village, officer, VillageRole.GRID_OFFICER, grid=area)
            officers[area.name] = officer
        return officers

    def phone_villagers(self, village, taken: set) -> list:
        """Adult villagers without an office, each in a different household, spread over the
        areas (one per area in turn)."""
        candidates = [
            v for v in self.adults(village, 20, 70) if v.pk not in taken and v.user_id is None
        ]
        by_area: dict[int, list[Villager]] = {}
        for v in candidates:
            by_area.setdefault(v.household.area_id, []).append(v)
        chosen, used_households = [], set()
        while len(chosen) < PHONE_VILLAGERS:
            for area_id in sorted(by_area):
                v = next(
                    (v for v in by_area[area_id] if v.household_id not in used_households), None
                )
                if v is not None:
                    chosen.append(v)
                    used_households.add(v.household_id)
                    by_area[area_id].remove(v)
                if len(chosen) == PHONE_VILLAGERS:
                    break
        return chosen

    def township_staff(self, township):
        for username, first_name, role in (
            ("inspector", "乡镇巡查员", TownshipRole.INSPECTOR),
            ("township", "乡镇管理员", TownshipRole.ADMIN),
        ):
            services.township_membership_create(
                actor=SYSTEM,
                township=township,
                user=self.staff_account(username, first_name=first_name),
                role=role,
                start=TERM_START,
            )

    @transaction.atomic
    def build(self):
        # No service creates a township (the superuser adds one in the admin): the row, and its
        # event in the chain.
        township = Township.objects.create(name="云岭镇", code="yunling")
        audit.record(
            actor=SYSTEM, action="village.township.create", obj=township, township=township
        )
        main = self.build_village(township, MAIN)
        offices = {MAIN.code: self.staff_village(main, MAIN.staffing)}
        second = self.build_village(township, SECOND)
        offices[SECOND.code] = self.staff_village(second, SECOND.staffing)
        for username, plan, office, phone in CADRE_ACCOUNTS:
            self.villager_account(username, offices[plan.code][0][office], phone=phone)
        self.township_staff(township)
        phone_villagers = self.phone_villagers(main, offices[MAIN.code][1])
        for i, v in enumerate(phone_villagers, start=1):
            phone = f"138{i:08d}"
            self.villager_account("villager" if i == 1 else phone, v, phone=phone)
        # 党员亮身份, 亮承诺, 包联 (the demo villager's household among them) and visit notes.
        build_party(main, first_household=phone_villagers[0].household, stdout=self.stdout)
        for builder in extensions.demo_builders():
            builder(township, self.stdout)
        return township

    def finish(self):
        """After the transaction: build the search index now rather than wait for a worker."""
        call_command("update_index", verbosity=0)
