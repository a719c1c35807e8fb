"""factory_boy factories for the village core. Every villager gets a valid, unique ID number."""

import itertools
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model

from village.models import (
    Grid,
    GridLevel,
    Household,
    Membership,
    PushSubscription,
    RuleSet,
    Township,
    TownshipMembership,
    Village,
    Villager,
)

_sequence = itertools.count(1)
PASSWORD = "pass-Word-123"


def make_id_number(birth: date, male: bool = True) -> str:
    seq = next(_sequence) % 499 * 2 + (1 if male else 0)
    body = f"370124{birth:%Y%m%d}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    name = factory.Sequence(lambda n: f"第{n}镇")
    code = factory.Sequence(lambda n: f"town{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    name = factory.Sequence(lambda n: f"测试{n}村")
    code = factory.Sequence(lambda n: f"village{n}")
    rules = factory.RelatedFactory("tests.factories.RuleSetFactory", factory_related_name="village")


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    village = factory.SubFactory(VillageFactory, rules=None)


class LargeGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    village = factory.SubFactory(VillageFactory)
    level = GridLevel.LARGE
    name = factory.Sequence(lambda n: f"第{n}网格")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    parent = factory.SubFactory(LargeGridFactory)
    village = factory.SelfAttribute("parent.village")
    level = GridLevel.AREA
    name = factory.Sequence(lambda n: f"{n}片区")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    area = factory.SubFactory(AreaFactory)
    village = factory.SelfAttribute("area.village")
    number = factory.Sequence(lambda n: f"H-{n:04d}")
    address = factory.Sequence(lambda n: f"前街{n}号")


class VillagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Villager

    household = factory.SubFactory(HouseholdFactory)
    village = factory.SelfAttribute("household.village")
    name = factory.Sequence(lambda n: f"村民{n}")
    birth_date = date(1980, 5, 17)
    gender = "m"
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.birth_date, o.gender == "m"))
    relation_to_head = ""


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    villager = factory.SubFactory(VillagerFactory)
    village = factory.SelfAttribute("villager.village")
    role = "secretary"
    start = factory.LazyFunction(lambda: date.today() - timedelta(days=365))


class TownshipMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TownshipMembership

    township = factory.SubFactory(TownshipFactory)
    user = factory.SubFactory(UserFactory)
    role = "inspector"
    start = factory.LazyFunction(lambda: date.today() - timedelta(days=365))


def villager_with_role(village, role, *, username=None, grid=None, household=None):
    """A villager of `village` holding `role` today, with a login account."""
    household = household or HouseholdFactory(
        village=village, area=grid or AreaFactory(parent__village=village)
    )
    user = UserFactory(username=username) if username else UserFactory()
    villager = VillagerFactory(household=household, user=user)
    if role != "resident":
        officer_grid = (grid or household.area) if role == "grid_officer" else None
        MembershipFactory(villager=villager, role=role, grid=officer_grid)
    return villager


def deliberation_village(*, township=None, name=None, households=12):
    """A village with known bodies for the 四议两公开 procedure, everyone with a login.

    - branch committee (7): the secretary + 6 members (b1..b6), all full party members;
    - village committee (6): the secretary (一肩挑), b1, b2 and three non-party members v3..v5;
      the two committees together are 10 people;
    - full party members (12): the branch committee and p1..p5; probationary: q1, q2;
    - representatives (6): r1..r6; the representatives' meeting is them ∪ the committee (12);
    - adult registered villagers (28) spread over ``households`` households (12 by default),
      plus plain villagers x1..x5 (x1 sits on the supervision committee), a minor and a
      villager who moved out, neither of whom may vote.

    Returns a SimpleNamespace with the village, the households and every person by label
    (``.people["b1"]``), and the lists ``branch``, ``village_committee``, ``two_committees``,
    ``party_full``, ``probationary``, ``representatives_body`` and ``adults``.
    """
    from types import SimpleNamespace

    from village.models import PartyMembership, VillagerStatus

    village = VillageFactory(
        **({"township": township} if township else {}), **({"name": name} if name else {})
    )
    area = AreaFactory(parent__village=village)
    homes = [HouseholdFactory(village=village, area=area) for _i in range(households)]
    term = date.today() - timedelta(days=365)
    full, probationary = PartyMembership.FULL, PartyMembership.PROBATIONARY
    labels = (
        [("s", full)]
        + [(f"b{i}", full) for i in range(1, 7)]
        + [(f"v{i}", None) for i in range(3, 6)]
        + [(f"p{i}", full) for i in range(1, 6)]
        + [("q1", probationary), ("q2", probationary)]
        + [(f"r{i}", None) for i in range(1, 7)]
        + [(f"x{i}", None) for i in range(1, 6)]
    )
    people = {}
    for index, (label, party) in enumerate(labels):
        people[label] = VillagerFactory(
            household=homes[index % households],
            name=f"{village.name}{label}",
            party_membership=party or PartyMembership.NONE,
            is_representative=label.startswith("r"),
            representative_from=term if label.startswith("r") else None,
            birth_date=date(1960 + index % 30, 1 + index % 12, 1 + index % 28),
            user=UserFactory(username=f"{village.code}-{label}"),
        )
    people["minor"] = VillagerFactory(
        household=homes[0],
        name=f"{village.name}minor",
        birth_date=date.today() - timedelta(days=365 * 15),
        user=UserFactory(username=f"{village.code}-minor"),
    )
    people["moved"] = VillagerFactory(
        household=homes[1],
        name=f"{village.name}moved",
        status=VillagerStatus.MOVED_OUT,
        user=UserFactory(username=f"{village.code}-moved"),
    )

    def hold(label, role):
        MembershipFactory(villager=people[label], role=role, start=term)

    hold("s", "secretary")
    for label in ("s", "b1", "b2", "v3", "v4", "v5"):
        hold(label, "village_committee")
    for i in range(1, 7):
        hold(f"b{i}", "branch_committee")
    hold("x1", "supervision")

    def pick(*names):
        return [people[n] for n in names]

    branch = pick("s", "b1", "b2", "b3", "b4", "b5", "b6")
    committee = pick("s", "b1", "b2", "v3", "v4", "v5")
    representatives = [people[f"r{i}"] for i in range(1, 7)]
    return SimpleNamespace(
        village=village,
        area=area,
        households=homes,
        people=people,
        secretary=people["s"],
        branch=branch,
        village_committee=committee,
        two_committees=branch + pick("v3", "v4", "v5"),
        party_full=branch + [people[f"p{i}"] for i in range(1, 6)],
        probationary=pick("q1", "q2"),
        representatives=representatives,
        representatives_body=representatives + committee,
        adults=[people[label] for label, _party in labels],
    )


class PushSubscriptionFactory(factory.django.DjangoModelFactory):
    """A device's subscription at a push service no test reaches (keys of the right shape)."""

    class Meta:
        model = PushSubscription

    user = factory.SubFactory(UserFactory)
    endpoint = factory.Sequence(lambda n: f"https://push.invalid/send/{n}")
    p256dh = "B" + "A" * 86
    auth = "A" * 22
