"""The village core's services for accounts: printable activation codes, activating an account with
phone and code, and accounts created directly by the secretary."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import VillagerFactory
from tests.support.village_services import NEW_PASSWORD, User, events, writes_nothing
from village import permissions, services
from village.models import ActivationCode, Villager
from village.permissions import Action

pytestmark = pytest.mark.usefixtures("_chinese")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


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


# --- accounts in bulk (the demo's logins) ------------------------------------------------------


def two_without_accounts(shared_township):
    village = shared_township["own"]
    other = VillagerFactory(household__village=village, household__area=shared_township["area"])
    return [shared_township["villager"], other]


def test_accounts_created_at_once_are_what_one_by_one_gives(shared_township):
    secretary, village = shared_township["secretary"], shared_township["own"]
    first, second = two_without_accounts(shared_township)
    users = services.accounts_create(
        actor=secretary,
        village=village,
        accounts=[(first, "wang"), (second, "li")],
        password=NEW_PASSWORD,
    )
    assert [u.username for u in users] == ["wang", "li"]
    for villager, user in zip((first, second), users, strict=True):
        stored = Villager.objects.get(pk=villager.pk)
        assert stored.user == user and user.first_name == stored.name
        assert user.check_password(NEW_PASSWORD)
        assert stored.history.first().user_id == user.pk
    assert [e.payload for e in events("village.account.create")] == [
        {"username": "wang"},
        {"username": "li"},
    ]
    assert [e.object_id for e in events("village.account.create")] == [
        str(first.pk),
        str(second.pk),
    ]


@pytest.mark.parametrize(
    "spoil",
    [
        "has_account",
        "username_taken",
        "username_twice",
        "another_village",
    ],
)
def test_accounts_at_once_are_refused_whole(shared_township, spoil):
    secretary, village = shared_township["secretary"], shared_township["own"]
    first, second = two_without_accounts(shared_township)
    accounts = [(first, "wang"), (second, "li")]
    expected = "用户名已被使用"
    if spoil == "has_account":
        services.account_create(
            actor=secretary, villager=second, username="li0", password=NEW_PASSWORD
        )
        expected = "该村民已有账号"
    elif spoil == "username_taken":
        accounts[1] = (second, "outsider")
    elif spoil == "username_twice":
        accounts[1] = (second, "wang")
    else:
        accounts[1] = (VillagerFactory(household__village=shared_township["neighbour"]), "li")
        expected = "只能修改本村的村民"
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.accounts_create(
            actor=secretary, village=village, accounts=accounts, password=NEW_PASSWORD
        )
    assert expected in excinfo.value.messages[0]


def test_accounts_at_once_need_the_right_to_give_logins(shared_township):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.accounts_create(
            actor=shared_township["users"]["resident"],
            village=shared_township["own"],
            accounts=[(shared_township["villager"], "wang")],
            password=NEW_PASSWORD,
        )
