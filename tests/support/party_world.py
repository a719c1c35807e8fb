"""The world of the 党员亮身份 tests: one village (东毛铺村) with two areas and people of every
kind the board shows or hides, a neighbour village with its own secretary.

- ``secretary`` (full member, 党支部书记), ``branch`` (full member, 支委委员),
  ``officer`` (网格员 of ``area1``, not a party member), ``member`` (full member, card with a
  shown office phone and a photo not shown), ``probationary`` (预备党员),
  ``resident`` (household ``home`` in ``area1``),
  ``neighbour_resident`` (household ``far`` in ``area2``), ``plain`` (a villager with no role).
- 包联: ``member`` → ``home`` (the household), ``probationary`` → ``area2`` (the area).
- Every villager has a private phone, an address and an ID number the board must never show.
"""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
)
from village import services
from village.models import PartyMembership, Village, Villager
from village.permissions import SYSTEM


@dataclass
class PartyWorld:
    village: Village
    neighbour: Village
    people: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bag in ("people", "objects"):
            found = self.__dict__.get(bag, {})
            if name in found:
                return found[name]
        raise AttributeError(name)


_phones = iter(range(10_000_000))


def _person(household, name, *, username=None, party=PartyMembership.NONE) -> Villager:
    user = UserFactory(username=username) if username else None
    return VillagerFactory(
        household=household,
        name=name,
        phone=f"139{next(_phones) + 55_000_000:08d}",
        party_membership=party,
        user=user,
    )


def _appoint(villager, role, grid=None):
    MembershipFactory(villager=villager, role=role, grid=grid)


def build_party_world() -> PartyWorld:
    village = VillageFactory(name="东毛铺村", code="dongmaopu-test")
    neighbour = VillageFactory(name="西河村", township=village.township, code="xihe-test")
    area1 = AreaFactory(parent__village=village, name="东一片")
    area2 = AreaFactory(parent=area1.parent, village=village, name="西二片")
    world = PartyWorld(village=village, neighbour=neighbour)
    households = {
        key: HouseholdFactory(village=village, area=area, address=f"东毛铺{key}巷{n}号")
        for n, (key, area) in enumerate(
            [
                ("h_secretary", area1),
                ("h_branch", area1),
                ("h_officer", area1),
                ("h_member", area1),
                ("h_probationary", area2),
                ("home", area1),
                ("far", area2),
                ("h_plain", area1),
            ],
            start=1,
        )
    }
    full, probationary = PartyMembership.FULL, PartyMembership.PROBATIONARY
    people = {
        "secretary": _person(
            households["h_secretary"], "张书记", username="p_secretary", party=full
        ),
        "branch": _person(households["h_branch"], "李支委", username="p_branch", party=full),
        "officer": _person(households["h_officer"], "王网格", username="p_officer"),
        "member": _person(households["h_member"], "赵党员", username="p_member", party=full),
        "probationary": _person(
            households["h_probationary"], "钱预备", username="p_probationary", party=probationary
        ),
        "resident": _person(households["home"], "孙村民", username="p_resident"),
        "neighbour_resident": _person(households["far"], "周村民", username="p_far"),
        "plain": _person(households["h_plain"], "吴群众", username="p_plain"),
    }
    _appoint(people["secretary"], "secretary")
    _appoint(people["branch"], "branch_committee")
    _appoint(people["officer"], "grid_officer", grid=area1)
    other_home = HouseholdFactory(village=neighbour, area=AreaFactory(parent__village=neighbour))
    other_secretary = _person(other_home, "郑书记", username="p_other_secretary", party=full)
    _appoint(other_secretary, "secretary")
    people["other_secretary"] = other_secretary
    world.people = people
    world.users = {key: v.user for key, v in people.items() if v.user_id}
    world.objects = {"area1": area1, "area2": area2, **households}
    start = timezone.localdate() - timedelta(days=30)
    world.objects["link_home"] = services.party_link_create(
        actor=SYSTEM,
        village=village,
        member=people["member"],
        household=households["home"],
        start=start,
    )
    world.objects["link_area"] = services.party_link_create(
        actor=SYSTEM, village=village, member=people["probationary"], area=area2, start=start
    )
    services.party_card_update(
        actor=SYSTEM,
        villager=people["member"],
        office_hours="每周一上午在党群服务中心",
        office_phone="0531-8765001",
        show_office_phone=True,
    )
    services.party_card_update(
        actor=SYSTEM, villager=people["secretary"], office_hours="工作日 8:30—17:00"
    )
    return world


def last_year() -> int:
    return timezone.localdate().year - 1


def year_end(year: int) -> date:
    return date(year, 12, 15)


def photo(name="portrait.png", size=(40, 48)):
    """A small PNG portrait, as a phone sends it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
