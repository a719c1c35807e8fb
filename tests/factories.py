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
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
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
        if role == "grid_officer":
            grid = grid or household.area
        MembershipFactory(villager=villager, role=role, grid=grid)
    return villager
