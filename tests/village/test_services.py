"""Every write of the village core: history, an audit event, the change; refusals write nothing."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    UserFactory,
    VillagerFactory,
    make_id_number,
)
from village import permissions, services
from village.models import (
    ActivationCode,
    AuditEvent,
    Grid,
    Household,
    Membership,
    TownshipMembership,
    Village,
    Villager,
)
from village.permissions import Action


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


User = get_user_model()
NEW_PASSWORD = "Qingshan-2026"
TERM = date(2021, 3, 1)


def _counts() -> dict[str, int]:
    """Rows of every table a service may write: the core, its history, users and logs."""
    models = list(apps.get_app_config("village").get_models())
    models += [User, apps.get_model("wagtailcore", "ModelLogEntry")]
    return {m._meta.label: m._default_manager.count() for m in models}


@contextmanager
def writes_nothing():
    before = _counts()
    yield
    after = _counts()
    assert {k: v for k, v in after.items() if before[k] != v} == {}


def events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("chain", "seq")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


# --- villages and rule sets -----------------------------------------------------


def test_township_admin_creates_a_village_with_its_rule_set(shared_township):
    admin = shared_township["users"]["township_admin"]
    village = services.village_create(
        actor=admin, township=shared_township["own"].township, name="南山村", code="nanshan"
    )
    assert village.rules.villagers_pass == ">1/2"
    assert village.seal_number == "NANSHAN"
    assert village.history.count() == 1
    assert village.rules.history.count() == 1
    event = events("village.village.create").get()
    assert event.chain == f"v{village.pk}"
    assert event.actor == admin
    assert event.payload == {"name": "南山村"}


def test_village_with_a_bad_rule_is_not_created_at_all(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.village_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            name="南山村",
            code="nanshan",
            villagers_pass="half",
        )
    assert "阈值格式" in str(excinfo.value)
    assert not Village.objects.filter(code="nanshan").exists()


def test_village_with_a_taken_code_is_refused(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.village_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            name="新村",
            code=shared_township["own"].code,
        )
    assert "code" in excinfo.value.message_dict


@pytest.mark.parametrize("role", ["secretary", "inspector"])
def test_only_a_township_admin_creates_villages(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.village_create(
            actor=shared_township["users"][role],
            township=shared_township["own"].township,
            name="南山村",
            code="nanshan",
        )


def test_township_admin_changes_a_threshold_and_the_chain_names_its_source(shared_township):
    rules = shared_township["own"].rules
    admin = shared_township["users"]["township_admin"]
    updated = services.ruleset_update(actor=admin, ruleset=rules, villagers_pass=">=2/3")
    assert updated.threshold("villagers_pass").met(2, 3)
    rules.refresh_from_db()
    assert rules.villagers_pass == ">=2/3"
    assert rules.history.count() == 2
    event = events("village.rules.update").get()
    assert event.chain == f"v{shared_township['own'].pk}"
    assert event.payload["changes"] == {"villagers_pass": [">1/2", ">=2/3"]}
    assert "村民委员会组织法" in event.payload["sources"]["villagers_pass"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"villagers_pass": "more than half"}, "villagers_pass"),
        ({"representatives_quorum": ">3/2"}, "representatives_quorum"),
        ({"adult_age": 30}, "__all__"),
        ({"resolution_publication_days": 0}, "__all__"),
    ],
)
def test_bad_rule_change_is_refused_and_writes_nothing(shared_township, changes, field):
    rules = shared_township["own"].rules
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.ruleset_update(
            actor=shared_township["users"]["township_admin"], ruleset=rules, **changes
        )
    assert field in excinfo.value.message_dict
    rules.refresh_from_db()
    assert rules.villagers_pass == ">1/2" and rules.adult_age == 18


@pytest.mark.parametrize("role", ["secretary", "inspector", "supervision"])
def test_village_staff_and_inspector_cannot_change_the_rules(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.ruleset_update(
            actor=shared_township["users"][role],
            ruleset=shared_township["own"].rules,
            villagers_pass=">=2/3",
        )


# --- grids ---------------------------------------------------------------------


def test_secretary_creates_a_large_grid_and_an_area(shared_township):
    secretary = shared_township["secretary"]
    large = services.grid_create(
        actor=secretary, village=shared_township["own"], name="第三网格", level="large"
    )
    area = services.grid_create(
        actor=secretary, village=shared_township["own"], name="十九片区", level="area", parent=large
    )
    assert str(area) == "第三网格 · 十九片区"
    assert large.history.count() == 1 and area.history.count() == 1
    created = events("village.grid.create")
    assert [e.object_id for e in created] == [str(large.pk), str(area.pk)]
    assert created[1].payload == {"name": "十九片区", "level": "area", "parent": large.pk}


def test_area_under_another_villages_grid_is_refused(shared_township):
    foreign_large = Grid.objects.create(
        village=shared_township["neighbour"], name="西河大网格", level="large"
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.grid_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            name="越界片区",
            level="area",
            parent=foreign_large,
        )
    assert "片区必须属于本村的一个大网格" in excinfo.value.message_dict["parent"][0]


def test_area_without_a_large_grid_is_refused(shared_township):
    with writes_nothing(), pytest.raises(ValidationError):
        services.grid_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            name="孤片区",
            level="area",
        )


def test_grid_rename_is_recorded_with_old_and_new_name(shared_township):
    area = shared_township["area"]
    old = area.name
    services.grid_update(actor=shared_township["secretary"], grid=area, name="河沿片区")
    area.refresh_from_db()
    assert area.name == "河沿片区"
    assert area.history.count() == 2  # the factory's version and the rename
    assert events("village.grid.update").get().payload == {"name": [old, "河沿片区"]}


def test_grid_rename_to_a_taken_name_is_refused(shared_township):
    other = AreaFactory(parent=shared_township["area"].parent, name="二片区")
    with writes_nothing(), pytest.raises(ValidationError):
        services.grid_update(
            actor=shared_township["secretary"], grid=shared_township["area"], name=other.name
        )


def test_grid_cannot_be_moved_to_another_village(shared_township):
    area = shared_township["area"]
    services.grid_update(
        actor=shared_township["secretary"], grid=area, village=shared_township["neighbour"]
    )
    area.refresh_from_db()
    assert area.village == shared_township["own"]
    assert not events("village.grid.update").exists()


# --- households ----------------------------------------------------------------


def test_secretary_creates_a_household(shared_township):
    household = services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="DMP-900",
        area=shared_township["area"],
        address="东街9号",
    )
    assert (
        Household.objects.get(village=shared_township["own"], number="DMP-900").address == "东街9号"
    )
    assert household.history.count() == 1
    event = events("village.household.create").get()
    assert event.object_id == str(household.pk)
    assert event.payload == {
        "number": "DMP-900",
        "area": shared_township["area"].pk,
        "address": "东街9号",
        "status": "active",
    }


def test_household_in_another_villages_area_is_refused(shared_township):
    foreign_area = AreaFactory(parent__village=shared_township["neighbour"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            number="DMP-901",
            area=foreign_area,
        )
    assert "请选择本村的一个片区" in excinfo.value.message_dict["area"][0]


def test_household_number_taken_in_the_village_is_refused(shared_township):
    taken = shared_township["villager"].household.number
    with writes_nothing(), pytest.raises(ValidationError):
        services.household_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            number=taken,
            area=shared_township["area"],
        )


def test_setting_the_head_of_a_household_is_recorded(shared_township):
    household = shared_township["villager"].household
    services.household_update(
        actor=shared_township["secretary"], household=household, head=shared_township["villager"]
    )
    household.refresh_from_db()
    assert household.head == shared_township["villager"]
    assert household.history.count() == 2  # the factory's version and the change
    event = events("village.household.update").get()
    assert event.payload == {"head": [None, shared_township["villager"].pk]}


def test_head_from_another_household_is_refused(shared_township):
    household = shared_township["villager"].household
    stranger = shared_township["users"]["resident"].villager
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_update(
            actor=shared_township["secretary"], household=household, head=stranger
        )
    assert "户主必须是本户成员" in excinfo.value.message_dict["head"][0]
    household.refresh_from_db()
    assert household.head is None


def test_household_cannot_be_moved_to_another_village(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_update(
            actor=shared_township["secretary"],
            household=shared_township["villager"].household,
            village=shared_township["neighbour"],
        )
    assert "village" in excinfo.value.messages[0]


# --- villagers -----------------------------------------------------------------


def _villager_fields(shared_township, **overrides):
    birth = date(1990, 8, 8)
    fields = {
        "household": HouseholdFactory(village=shared_township["own"], area=shared_township["area"]),
        "name": "王秀英",
        "id_number": make_id_number(birth, male=False),
        "birth_date": birth,
        "gender": "f",
        "phone": "13911112222",
        "relation_to_head": "户主",
    }
    fields.update(overrides)
    return fields


def test_secretary_registers_a_villager_as_head_of_household(shared_township):
    fields = _villager_fields(shared_township)
    villager = services.villager_create(
        actor=shared_township["secretary"], village=shared_township["own"], make_head=True, **fields
    )
    assert Household.objects.get(pk=fields["household"].pk).head == villager
    assert villager.history.count() == 1
    created = events("village.villager.create").get()
    assert created.payload["name"] == "王秀英"
    assert created.payload["id_number"] == villager.masked_id_number
    assert fields["id_number"] not in str(created.payload)
    assert events("village.household.update").get().payload == {"head": [None, villager.pk]}


def test_villager_id_number_is_stored_in_upper_case(shared_township):
    birth = date(1949, 12, 31)
    villager = services.villager_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        **_villager_fields(shared_township, id_number=" 11010519491231002x ", birth_date=birth),
    )
    assert villager.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "校验位不正确"),
        ({"id_number": "12345"}, "id_number", "18位"),
        ({"birth_date": date(1991, 8, 8)}, "birth_date", "出生日期与身份证号不一致"),
        ({"phone": "2391111222"}, "phone", "手机号应为11位"),
        ({"name": ""}, "name", ""),
        ({"is_representative": True}, "representative_from", "任期起始"),
    ],
)
def test_villager_with_bad_input_is_refused_with_the_reason(
    shared_township, overrides, field, message
):
    fields = _villager_fields(shared_township, **overrides)
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert message in excinfo.value.message_dict[field][0]


def test_villager_in_another_villages_household_is_refused(shared_township):
    foreign = HouseholdFactory(area__parent__village=shared_township["neighbour"])
    fields = _villager_fields(shared_township, household=foreign)
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert "请选择本村的户" in excinfo.value.message_dict["household"][0]


def test_same_id_number_twice_in_the_village_is_refused(shared_township):
    existing = shared_township["villager"]
    fields = _villager_fields(
        shared_township, id_number=existing.id_number, birth_date=existing.birth_date
    )
    with writes_nothing(), pytest.raises(ValidationError):
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )


def test_unknown_villager_field_is_refused(shared_township):
    fields = _villager_fields(shared_township, user=shared_township["root"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert "未知字段" in excinfo.value.messages[0]


def test_villager_update_records_the_change_and_masks_id_numbers(shared_township):
    villager = shared_township["villager"]
    new_id = make_id_number(villager.birth_date)
    services.villager_update(
        actor=shared_township["secretary"], villager=villager, phone="13700000000", id_number=new_id
    )
    villager.refresh_from_db()
    assert villager.phone == "13700000000"
    assert villager.id_number == new_id
    assert villager.history.count() == 2  # the factory's version and the change
    payload = events("village.villager.update").get().payload
    assert payload["phone"] == ["13912345678", "13700000000"]
    assert payload["id_number"][1] == villager.masked_id_number
    assert new_id not in str(payload)


def test_villager_update_with_a_bad_phone_changes_nothing(shared_township):
    villager = shared_township["villager"]
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_update(
            actor=shared_township["secretary"], villager=villager, phone="12345"
        )
    assert "手机号应为11位" in excinfo.value.message_dict["phone"][0]
    villager.refresh_from_db()
    assert villager.phone == "13912345678"


def test_villager_cannot_be_moved_to_another_village(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_update(
            actor=shared_township["secretary"], villager=shared_township["villager"], village_id=0
        )
    assert "village_id" in excinfo.value.messages[0]


def test_unchanged_villager_update_writes_no_audit_event(shared_township):
    services.villager_update(
        actor=shared_township["secretary"],
        villager=shared_township["villager"],
        phone="13912345678",
    )
    assert not events("village.villager.update").exists()


# --- memberships ---------------------------------------------------------------


def test_secretary_appoints_a_committee_member_who_then_may_change_the_roster(shared_township):
    villager = shared_township["villager"]
    villager.user = UserFactory(username="new_cadre")
    villager.save()
    user = villager.user
    assert not permissions.can(user, Action.CHANGE_ROSTER, shared_township["own"])
    membership = services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="village_committee",
        start=TERM,
    )
    assert membership.history.count() == 1
    event = events("village.membership.create").get()
    assert event.payload == {
        "villager": villager.pk,
        "role": "village_committee",
        "grid": None,
        "start": "2021-03-01",
        "end": None,
    }
    assert permissions.can(user, Action.CHANGE_ROSTER, shared_township["own"])


def test_township_admin_may_appoint_in_every_village_of_the_township(shared_township):
    neighbour_villager = VillagerFactory(
        household__area__parent__village=shared_township["neighbour"]
    )
    services.membership_create(
        actor=shared_township["users"]["township_admin"],
        village=shared_township["neighbour"],
        villager=neighbour_villager,
        role="supervision",
        start=TERM,
    )
    assert events("village.membership.create").get().chain == f"v{shared_township['neighbour'].pk}"


def test_overlapping_appointment_to_the_same_role_is_refused(shared_township):
    villager = shared_township["villager"]
    services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="supervision",
        start=TERM,
        end=date(2023, 12, 31),
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=villager,
            role="supervision",
            start=date(2023, 12, 31),
        )
    assert "已担任此职务" in excinfo.value.messages[0]
    # the next term, starting the day after, is fine
    services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="supervision",
        start=date(2024, 1, 1),
    )
    assert villager.memberships.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"role": "grid_officer"}, "grid", "网格员必须指定负责的网格"),
        ({"role": "secretary", "end": date(2020, 1, 1)}, "end", "不能早于起始日期"),
    ],
)
def test_bad_appointment_is_refused_with_the_reason(shared_township, kwargs, field, message):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=shared_township["villager"],
            start=TERM,
            **kwargs,
        )
    assert any(message in m for m in excinfo.value.message_dict[field])


def test_appointing_a_villager_of_another_village_is_refused(shared_township):
    stranger = VillagerFactory(household__area__parent__village=shared_township["neighbour"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=stranger,
            role="supervision",
            start=TERM,
        )
    assert "任职人员必须是本村村民" in excinfo.value.message_dict["villager"][0]


@pytest.mark.parametrize("role", ["branch_committee", "village_committee", "grid_officer"])
def test_only_the_secretary_appoints_in_the_village(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.membership_create(
            actor=shared_township["users"][role],
            village=shared_township["own"],
            villager=shared_township["villager"],
            role="supervision",
            start=TERM,
        )


def test_membership_update_records_the_change(shared_township):
    membership = MembershipFactory(
        villager=shared_township["villager"], role="supervision", start=TERM
    )
    services.membership_update(
        actor=shared_township["secretary"], membership=membership, note="主任"
    )
    membership.refresh_from_db()
    assert membership.note == "主任"
    assert events("village.membership.update").get().payload == {"note": ["", "主任"]}


def test_membership_update_to_end_before_start_is_refused(shared_township):
    membership = MembershipFactory(
        villager=shared_township["villager"], role="supervision", start=TERM
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_update(
            actor=shared_township["secretary"], membership=membership, end=date(2020, 1, 1)
        )
    assert "end" in excinfo.value.message_dict


def test_ended_role_stays_on_record_and_no_longer_grants_anything(shared_township):
    officer = shared_township["users"]["grid_officer"]
    membership = officer.villager.memberships.get()
    yesterday = timezone.localdate() - timedelta(days=1)
    ended = services.membership_end(
        actor=shared_township["secretary"], membership=membership, end=yesterday
    )
    assert ended.end == yesterday
    assert Membership.objects.filter(pk=membership.pk, end=yesterday).exists()
    assert membership.history.count() == 2  # the factory's version and the end
    event = events("village.membership.end").get()
    assert event.payload == {"end": [None, yesterday.isoformat()]}
    permissions.forget_roles(officer)
    assert not permissions.can(officer, Action.VIEW_ROSTER, shared_township["own"])
    # the past still shows who held the role
    assert Membership.objects.valid_on(yesterday).filter(pk=membership.pk).exists()


def test_ending_a_role_before_it_started_is_refused(shared_township):
    membership = shared_township["users"]["grid_officer"].villager.memberships.get()
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_end(
            actor=shared_township["secretary"],
            membership=membership,
            end=membership.start - timedelta(days=1),
        )
    assert "任职止日期不能早于起始日期" in excinfo.value.message_dict["end"][0]


def test_ending_a_role_never_deletes_it(shared_township):
    memberships = Membership.objects.count()
    for role in ("grid_officer", "supervision", "village_committee"):
        membership = shared_township["users"][role].villager.memberships.get()
        services.membership_end(
            actor=shared_township["secretary"], membership=membership, end=date.today()
        )
    assert Membership.objects.count() == memberships
    assert Membership.history.filter(history_type="-").count() == 0


def test_superuser_appoints_a_township_inspector(shared_township):
    user = UserFactory(username="new_inspector")
    township = shared_township["own"].township
    membership = services.township_membership_create(
        actor=shared_township["root"], township=township, user=user, role="inspector", start=TERM
    )
    assert membership.history.count() == 1
    event = events("village.township_membership.create").get()
    assert event.chain == f"t{township.pk}"
    assert event.village is None
    assert event.payload["user"] == "new_inspector"
    assert permissions.can(user, Action.VIEW_ROSTER, shared_township["neighbour"])


@pytest.mark.parametrize("role", ["secretary", "township_admin", "inspector"])
def test_only_a_superuser_appoints_township_roles(shared_township, role):
    hopeful = UserFactory(username="hopeful")
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.township_membership_create(
            actor=shared_township["users"][role],
            township=shared_township["own"].township,
            user=hopeful,
            role="inspector",
            start=TERM,
        )


def test_township_role_ending_before_it_starts_is_refused(shared_township):
    user = UserFactory(username="hopeful")
    with writes_nothing(), pytest.raises(ValidationError):
        services.township_membership_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            user=user,
            role="inspector",
            start=TERM,
            end=TERM - timedelta(days=1),
        )
    assert not TownshipMembership.objects.filter(user=user).exists()


# --- refusals across the board -------------------------------------------------


def _every_write(shared_township, actor, village_key="own"):
    """Each service, called by `actor` on the own village (or its rows)."""
    village = shared_township[village_key]
    villager = shared_township["villager"]
    membership = shared_township["users"]["grid_officer"].villager.memberships.get()
    new_villager = _villager_fields(shared_township)
    someone = UserFactory(username="someone")
    return {
        "grid_create": lambda: services.grid_create(
            actor=actor, village=village, name="新网格", level="large"
        ),
        "grid_update": lambda: services.grid_update(
            actor=actor, grid=shared_township["area"], name="改名"
        ),
        "household_create": lambda: services.household_create(
            actor=actor, village=village, number="X-1", area=shared_township["area"]
        ),
        "household_update": lambda: services.household_update(
            actor=actor, household=villager.household, address="改址"
        ),
        "villager_create": lambda: services.villager_create(
            actor=actor, village=village, **new_villager
        ),
        "villager_update": lambda: services.villager_update(
            actor=actor, villager=villager, phone="13700000000"
        ),
        "membership_create": lambda: services.membership_create(
            actor=actor, village=village, villager=villager, role="supervision", start=TERM
        ),
        "membership_update": lambda: services.membership_update(
            actor=actor, membership=membership, note="改"
        ),
        "membership_end": lambda: services.membership_end(
            actor=actor, membership=membership, end=date.today()
        ),
        "ruleset_update": lambda: services.ruleset_update(
            actor=actor, ruleset=village.rules, villagers_pass=">=2/3"
        ),
        "activation_code_issue": lambda: services.activation_code_issue(
            actor=actor, villager=villager
        ),
        "account_create": lambda: services.account_create(
            actor=actor, villager=villager, username="x", password=NEW_PASSWORD
        ),
        "village_create": lambda: services.village_create(
            actor=actor, township=village.township, name="南山村", code="nanshan"
        ),
        "township_membership_create": lambda: services.township_membership_create(
            actor=actor,
            township=village.township,
            user=someone,
            role="inspector",
            start=TERM,
        ),
    }


WRITES = [
    "grid_create",
    "grid_update",
    "household_create",
    "household_update",
    "villager_create",
    "villager_update",
    "membership_create",
    "membership_update",
    "membership_end",
    "ruleset_update",
    "activation_code_issue",
    "account_create",
    "village_create",
    "township_membership_create",
]


@pytest.mark.parametrize("write", WRITES)
def test_inspector_cannot_write_anything(shared_township, write):
    call = _every_write(shared_township, shared_township["users"]["inspector"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()


@pytest.mark.parametrize(
    "write",
    [
        "grid_create",
        "grid_update",
        "household_create",
        "household_update",
        "villager_create",
        "villager_update",
        "membership_create",
        "membership_end",
        "activation_code_issue",
    ],
)
def test_grid_officer_cannot_change_the_roster(shared_township, write):
    call = _every_write(shared_township, shared_township["users"]["grid_officer"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()


@pytest.mark.parametrize(
    "write",
    [w for w in WRITES if w not in {"village_create", "township_membership_create"}],
)
def test_secretary_of_another_village_is_refused(shared_township, write):
    call = _every_write(shared_township, shared_township["other_secretary"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()


# --- accounts ------------------------------------------------------------------


def test_secretary_issues_a_printable_activation_code(shared_township):
    row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    assert len(code) == 11 and code[5] == "-"
    assert (
        row.villager == shared_township["villager"]
        and row.issued_by == shared_township["secretary"]
    )
    assert row.expires_at - row.issued_at == timedelta(days=14)
    assert code.replace("-", "") not in row.code_hash
    event = events("village.activation.issue").get()
    assert event.payload["activation_code_id"] == row.pk
    assert code not in str(event.payload) and code.replace("-", "") not in str(event.payload)


def test_activation_code_alphabet_has_no_look_alike_characters(shared_township):
    seen = set()
    for _i in range(30):
        _row, code = services.activation_code_issue(
            actor=shared_township["secretary"], villager=shared_township["villager"]
        )
        seen |= set(code.replace("-", ""))
    assert not seen & set("0O1IL")
    assert seen <= set(services.CODE_ALPHABET)
    assert not set("0O1I") & set(services.CODE_ALPHABET)


def test_villager_activates_an_account_with_phone_and_code(shared_township):
    villager = shared_township["villager"]
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=villager
    )
    user = services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)
    villager.refresh_from_db()
    assert villager.user == user
    assert user.username == "13912345678"
    assert user.check_password(NEW_PASSWORD)
    login = RequestFactory().post("/login/")
    assert authenticate(login, username="13912345678", password=NEW_PASSWORD) == user
    event = events("village.activation.use").get()
    assert event.actor == user
    assert permissions.can(user, Action.VIEW_HOUSEHOLD, villager.household)


def test_activation_code_may_be_typed_in_lower_case_without_the_dash(shared_township):
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    typed = code.replace("-", " ").lower()
    user = services.account_activate(phone=" 13912345678 ", code=typed, password=NEW_PASSWORD)
    assert user.check_password(NEW_PASSWORD)


def test_second_use_of_activation_code_is_refused(shared_township):
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    user = services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.account_activate(phone="13912345678", code=code, password="Another-pass-9")
    assert "激活码已失效" in excinfo.value.messages[0]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_expired_activation_code_is_refused(shared_township):
    row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    ActivationCode.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with writes_nothing(), pytest.raises(ValidationError):
        services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)
    assert Villager.objects.get(pk=shared_township["villager"].pk).user is None


def test_revoked_activation_code_is_refused(shared_township):
    row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    ActivationCode.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    with writes_nothing(), pytest.raises(ValidationError):
        services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)


def test_new_activation_code_revokes_the_earlier_one(shared_township):
    first_row, first = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    _row, second = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    first_row.refresh_from_db()
    assert first_row.revoked_at is not None
    with writes_nothing(), pytest.raises(ValidationError):
        services.account_activate(phone="13912345678", code=first, password=NEW_PASSWORD)
    assert services.account_activate(phone="13912345678", code=second, password=NEW_PASSWORD)


@pytest.mark.parametrize("phone", ["13900000000", "", "1391234567"])
def test_activation_with_a_wrong_phone_is_refused(shared_township, phone):
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    with writes_nothing(), pytest.raises(ValidationError):
        services.account_activate(phone=phone, code=code, password=NEW_PASSWORD)
    # the code still works for the right phone
    assert services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)


def test_made_up_activation_code_is_refused(shared_township):
    services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    with writes_nothing(), pytest.raises(ValidationError):
        services.account_activate(phone="13912345678", code="ABCDE-FGHJK", password=NEW_PASSWORD)


def test_weak_password_keeps_the_activation_code_usable(shared_township):
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=shared_township["villager"]
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.account_activate(phone="13912345678", code=code, password="12345678")
    assert excinfo.value.messages
    assert services.account_activate(phone="13912345678", code=code, password=NEW_PASSWORD)


def test_activation_resets_the_password_of_an_existing_account(shared_township):
    resident = shared_township["users"]["resident"]
    villager = resident.villager
    Villager.objects.filter(pk=villager.pk).update(phone="13955556666")
    villager.refresh_from_db()
    _row, code = services.activation_code_issue(
        actor=shared_township["secretary"], villager=villager
    )
    user = services.account_activate(phone="13955556666", code=code, password=NEW_PASSWORD)
    assert user == resident
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)
    assert User.objects.filter(username="13955556666").count() == 0


def test_activation_code_needs_a_phone_number(shared_township):
    villager = shared_township["villager"]
    Villager.objects.filter(pk=villager.pk).update(phone="")
    villager.refresh_from_db()
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.activation_code_issue(actor=shared_township["secretary"], villager=villager)
    assert "请先为该村民登记手机号" in excinfo.value.messages[0]


@pytest.mark.parametrize("status", ["moved_out", "deceased"])
def test_activation_code_only_for_registered_villagers(shared_township, status):
    villager = shared_township["villager"]
    Villager.objects.filter(pk=villager.pk).update(status=status)
    villager.refresh_from_db()
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.activation_code_issue(actor=shared_township["secretary"], villager=villager)
    assert "在册村民" in excinfo.value.messages[0]


@pytest.mark.parametrize("role", ["branch_committee", "village_committee", "supervision"])
def test_only_the_secretary_issues_activation_codes(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.activation_code_issue(
            actor=shared_township["users"][role], villager=shared_township["villager"]
        )


def test_secretary_creates_an_account_directly(shared_township):
    user = services.account_create(
        actor=shared_township["secretary"],
        villager=shared_township["villager"],
        username="wang",
        password=NEW_PASSWORD,
    )
    assert User.objects.get(username="wang").check_password(NEW_PASSWORD)
    assert Villager.objects.get(pk=shared_township["villager"].pk).user == user
    assert events("village.account.create").get().payload == {"username": "wang"}


def test_second_account_for_a_villager_is_refused(shared_township):
    services.account_create(
        actor=shared_township["secretary"],
        villager=shared_township["villager"],
        username="wang",
        password=NEW_PASSWORD,
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.account_create(
            actor=shared_township["secretary"],
            villager=shared_township["villager"],
            username="wang2",
            password=NEW_PASSWORD,
        )
    assert "该村民已有账号" in excinfo.value.messages[0]


def test_account_with_a_taken_username_is_refused(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.account_create(
            actor=shared_township["secretary"],
            villager=shared_township["villager"],
            username="outsider",
            password="x",
        )
    assert "用户名已被使用" in excinfo.value.messages[0]


def test_services_chain_their_events_per_village(shared_township):
    services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="A-1",
        area=shared_township["area"],
    )
    other_area = AreaFactory(parent__village=shared_township["neighbour"])
    services.household_create(
        actor=shared_township["other_secretary"],
        village=shared_township["neighbour"],
        number="B-1",
        area=other_area,
    )
    services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="A-2",
        area=shared_township["area"],
    )
    own_chain = AuditEvent.objects.filter(chain=f"v{shared_township['own'].pk}").order_by("seq")
    assert [e.seq for e in own_chain] == [1, 2]
    assert own_chain[1].prev_hash == own_chain[0].hash
    assert AuditEvent.objects.get(chain=f"v{shared_township['neighbour'].pk}").seq == 1
    assert {e.actor_name for e in own_chain} == {"secretary"}
