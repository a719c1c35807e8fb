"""The village core's models: thresholds, ID numbers, ages, terms and clean() rules."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    LargeGridFactory,
    MembershipFactory,
    VillageFactory,
    VillagerFactory,
    make_id_number,
)
from village.models import (
    Grid,
    GridLevel,
    Membership,
    RuleSet,
    Threshold,
    Villager,
    mask_id_number,
    validate_id_number,
    validate_threshold,
)


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


# ---------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "total", "met"),
    [
        # "> 1/2" (过半数) is strict: exactly half is not enough.
        (">1/2", 6, 12, False),
        (">1/2", 7, 12, True),
        (">1/2", 2, 3, True),
        (">1/2", 1, 2, False),
        (">1/2", 0, 1, False),
        (">1/2", 1, 1, True),
        # ">= 1/2" (半数以上) includes exactly half.
        (">=1/2", 6, 12, True),
        (">=1/2", 5, 12, False),
        # ">= 2/3" (三分之二以上) includes the number itself.
        (">=2/3", 2, 3, True),
        (">=2/3", 1, 3, False),
        (">=2/3", 8, 12, True),
        (">=2/3", 7, 12, False),
        (">=2/3", 20, 30, True),
        (">=2/3", 19, 30, False),
        # 2/3 of 100 is 66.67: 66 is short, 67 is enough — integers, no rounding.
        (">=2/3", 66, 100, False),
        (">=2/3", 67, 100, True),
        ("≥2/3", 2, 3, True),
        ("≥2/3", 1, 3, False),
        (" > 1 / 2 ", 6, 12, False),
    ],
)
def test_threshold_compares_shares_in_integers(text, count, total, met):
    assert Threshold(text).met(count, total) is met


@pytest.mark.parametrize("text", [">1/2", ">=1/2", ">=2/3", "≥2/3", ">0/1"])
def test_empty_body_never_passes(text):
    assert Threshold(text).met(0, 0) is False


@pytest.mark.parametrize(
    ("text", "total", "minimum"),
    [(">1/2", 12, 7), (">=1/2", 12, 6), (">=2/3", 3, 2), (">=2/3", 30, 20), (">1/2", 1, 1)],
)
def test_threshold_minimum_is_the_smallest_count_that_passes(text, total, minimum):
    threshold = Threshold(text)
    assert threshold.minimum(total) == minimum
    assert threshold.met(minimum, total)
    assert not threshold.met(minimum - 1, total)


def test_threshold_displays_its_rule():
    assert str(Threshold(">1/2")) == "> 1/2"
    assert str(Threshold(">=2/3")) == "≥ 2/3"


@pytest.mark.parametrize(
    "text", ["", "1/2", "=1/2", "<1/2", ">1/0", ">3/2", ">half", ">1/2/3", ">-1/2", "> 0.5"]
)
def test_bad_threshold_text_is_rejected_with_a_clear_message(text):
    with pytest.raises(ValidationError) as excinfo:
        validate_threshold(text)
    assert "阈值格式" in excinfo.value.messages[0]
    with pytest.raises(ValidationError):
        Threshold(text)


@pytest.mark.django_db
def test_rule_set_with_a_bad_threshold_fails_full_clean():
    rules = VillageFactory().rules
    rules.villagers_pass = "more than half"
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert "villagers_pass" in excinfo.value.message_dict


@pytest.mark.django_db
def test_rule_set_defaults_follow_the_statute_and_name_their_source():
    rules = VillageFactory().rules
    assert rules.threshold("villagers_quorum_households").met(2, 3)
    assert not rules.threshold("villagers_pass").met(6, 12)
    assert rules.adult_age == 18
    assert "村民委员会组织法" in RuleSet.source("representatives_quorum")
    assert RuleSet._meta.get_field("adult_age").help_text == RuleSet.source("adult_age")


# ---------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------


def test_id_number_is_masked_to_first_and_last_four():
    assert mask_id_number("370102198005170016") == "3701**********0016"
    assert mask_id_number("37010219800517123X") == "3701**********123X"
    assert mask_id_number("") == ""


def test_villager_masked_id_number_hides_the_birth_date():
    villager = Villager(id_number="370102198005171234")
    assert villager.masked_id_number == "3701**********1234"
    assert "19800517" not in villager.masked_id_number


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "11010519491231002x", "370102198005170016"]
)
def test_valid_id_numbers_pass_the_checksum(value):
    validate_id_number(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位不正确"),
        ("370102198005170017", "校验位不正确"),
        ("37010219800517001", "18位"),
        ("3701021980051700166", "18位"),
        ("37010219800517001A", "18位"),
        ("", "18位"),
    ],
)
def test_bad_id_numbers_are_refused_with_the_reason(value, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(value)
    assert message in excinfo.value.messages[0]


# ---------------------------------------------------------------------------
# Ages and terms
# ---------------------------------------------------------------------------


def test_villager_is_adult_on_the_eighteenth_birthday_not_the_day_before():
    villager = Villager(birth_date=date(2008, 5, 17))
    assert villager.is_adult_on(date(2026, 5, 17))
    assert not villager.is_adult_on(date(2026, 5, 16))
    assert villager.is_adult_on(date(2030, 1, 1))


def test_villager_born_on_29_february_is_adult_on_1_march_of_a_common_year():
    villager = Villager(birth_date=date(2008, 2, 29))
    assert villager.adult_from() == date(2026, 3, 1)
    assert not villager.is_adult_on(date(2026, 2, 28))
    assert villager.is_adult_on(date(2026, 3, 1))


def test_villager_born_on_29_february_is_adult_on_29_february_of_a_leap_year():
    villager = Villager(birth_date=date(2004, 2, 29))
    assert villager.adult_from(20) == date(2024, 2, 29)
    assert villager.is_adult_on(date(2024, 2, 29), adult_age=20)
    assert not villager.is_adult_on(date(2024, 2, 28), adult_age=20)


def test_adult_age_of_the_rule_set_is_honoured():
    villager = Villager(birth_date=date(2008, 5, 17))
    assert villager.is_adult_on(date(2024, 5, 17), adult_age=16)
    assert not villager.is_adult_on(date(2026, 5, 17), adult_age=20)


def test_representative_term_counts_on_its_first_and_last_day_only():
    villager = Villager(
        is_representative=True,
        representative_from=date(2021, 3, 1),
        representative_to=date(2026, 2, 28),
    )
    assert not villager.is_representative_on(date(2021, 2, 28))
    assert villager.is_representative_on(date(2021, 3, 1))
    assert villager.is_representative_on(date(2026, 2, 28))
    assert not villager.is_representative_on(date(2026, 3, 1))


def test_representative_without_an_end_serves_until_further_notice():
    villager = Villager(is_representative=True, representative_from=date(2021, 3, 1))
    assert villager.is_representative_on(date(2040, 1, 1))


def test_villager_not_flagged_as_representative_is_never_one():
    villager = Villager(is_representative=False, representative_from=date(2021, 3, 1))
    assert not villager.is_representative_on(date(2022, 1, 1))


# ---------------------------------------------------------------------------
# clean() rules
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_area_must_belong_to_a_large_grid_of_the_same_village():
    village = VillageFactory()
    foreign_large = LargeGridFactory()
    area = Grid(village=village, parent=foreign_large, level=GridLevel.AREA, name="一片区")
    with pytest.raises(ValidationError) as excinfo:
        area.full_clean()
    assert "片区必须属于本村的一个大网格" in excinfo.value.message_dict["parent"][0]


@pytest.mark.django_db
def test_area_cannot_hang_under_another_area():
    area = AreaFactory()
    sub = Grid(village=area.village, parent=area, level=GridLevel.AREA, name="子片区")
    with pytest.raises(ValidationError) as excinfo:
        sub.full_clean()
    assert "parent" in excinfo.value.message_dict


@pytest.mark.django_db
def test_area_without_a_large_grid_breaks_the_grid_constraint():
    village = VillageFactory()
    orphan = Grid(village=village, level=GridLevel.AREA, name="孤片区")
    with pytest.raises(ValidationError):
        orphan.full_clean()


@pytest.mark.django_db
def test_household_in_an_area_of_another_village_is_refused():
    household = HouseholdFactory()
    household.area = AreaFactory()  # another village's area
    with pytest.raises(ValidationError) as excinfo:
        household.full_clean()
    assert "请选择本村的一个片区" in excinfo.value.message_dict["area"][0]


@pytest.mark.django_db
def test_household_in_a_large_grid_instead_of_an_area_is_refused():
    household = HouseholdFactory()
    household.area = household.area.parent
    with pytest.raises(ValidationError) as excinfo:
        household.full_clean()
    assert "area" in excinfo.value.message_dict


@pytest.mark.django_db
def test_household_head_must_be_a_member_of_the_household():
    household = HouseholdFactory()
    stranger = VillagerFactory(household__area=household.area)
    household.head = stranger
    with pytest.raises(ValidationError) as excinfo:
        household.full_clean()
    assert "户主必须是本户成员" in excinfo.value.message_dict["head"][0]
    household.head = VillagerFactory(household=household)
    household.full_clean()


@pytest.mark.django_db
def test_merged_household_must_name_the_household_it_joined():
    household = HouseholdFactory()
    household.status = "merged"
    with pytest.raises(ValidationError) as excinfo:
        household.full_clean()
    assert "merged_into" in excinfo.value.message_dict


@pytest.mark.django_db
def test_villager_must_live_in_a_household_of_the_village():
    villager = VillagerFactory.build(household=HouseholdFactory(), village=VillageFactory())
    with pytest.raises(ValidationError) as excinfo:
        villager.full_clean()
    assert "请选择本村的户" in excinfo.value.message_dict["household"][0]


@pytest.mark.django_db
def test_villager_birth_date_must_match_the_id_number():
    villager = VillagerFactory.build(household=HouseholdFactory())
    villager.village = villager.household.village
    villager.birth_date = date(1981, 5, 17)  # ID number says 1980-05-17
    with pytest.raises(ValidationError) as excinfo:
        villager.full_clean()
    assert "出生日期与身份证号不一致" in excinfo.value.message_dict["birth_date"][0]


@pytest.mark.django_db
def test_villager_with_a_bad_id_checksum_fails_full_clean():
    household = HouseholdFactory()
    good = make_id_number(date(1980, 5, 17))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    villager = VillagerFactory.build(household=household, village=household.village, id_number=bad)
    with pytest.raises(ValidationError) as excinfo:
        villager.full_clean()
    assert "校验位" in excinfo.value.message_dict["id_number"][0]


@pytest.mark.django_db
def test_representative_needs_a_term_start():
    household = HouseholdFactory()
    villager = VillagerFactory.build(
        household=household, village=household.village, is_representative=True
    )
    with pytest.raises(ValidationError) as excinfo:
        villager.full_clean()
    assert "representative_from" in excinfo.value.message_dict


@pytest.mark.django_db
def test_same_id_number_twice_in_one_village_is_refused():
    first = VillagerFactory()
    second = VillagerFactory.build(
        household=first.household, village=first.village, id_number=first.id_number
    )
    with pytest.raises(ValidationError):
        second.full_clean()


@pytest.mark.django_db
def test_grid_officer_membership_needs_a_grid():
    villager = VillagerFactory()
    membership = Membership(
        village=villager.village, villager=villager, role="grid_officer", start=date(2021, 3, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        membership.full_clean()
    assert "网格员必须指定负责的网格" in excinfo.value.message_dict["grid"][0]


@pytest.mark.django_db
def test_only_grid_officers_have_a_grid():
    villager = VillagerFactory()
    membership = Membership(
        village=villager.village,
        villager=villager,
        role="secretary",
        grid=villager.household.area,
        start=date(2021, 3, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        membership.full_clean()
    assert "只有网格员需要指定网格" in excinfo.value.message_dict["grid"][0]


@pytest.mark.django_db
def test_grid_officer_grid_must_be_of_the_same_village():
    villager = VillagerFactory()
    membership = Membership(
        village=villager.village,
        villager=villager,
        role="grid_officer",
        grid=AreaFactory(),
        start=date(2021, 3, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        membership.full_clean()
    assert "请选择本村的网格" in excinfo.value.message_dict["grid"][0]


@pytest.mark.django_db
def test_membership_holder_must_be_a_villager_of_the_village():
    villager = VillagerFactory()
    membership = Membership(
        village=VillageFactory(), villager=villager, role="secretary", start=date(2021, 3, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        membership.full_clean()
    assert "任职人员必须是本村村民" in excinfo.value.message_dict["villager"][0]


@pytest.mark.django_db
def test_membership_cannot_end_before_it_starts():
    villager = VillagerFactory()
    membership = Membership(
        village=villager.village,
        villager=villager,
        role="secretary",
        start=date(2021, 3, 1),
        end=date(2021, 2, 28),
    )
    with pytest.raises(ValidationError) as excinfo:
        membership.full_clean()
    assert "任职止日期不能早于起始日期" in excinfo.value.message_dict["end"][0]


@pytest.mark.django_db
def test_membership_valid_on_includes_first_and_last_day():
    membership = MembershipFactory(start=date(2021, 3, 1), end=date(2024, 2, 29))
    valid = Membership.objects.valid_on
    assert not valid(date(2021, 2, 28)).filter(pk=membership.pk).exists()
    assert valid(date(2021, 3, 1)).filter(pk=membership.pk).exists()
    assert valid(date(2024, 2, 29)).filter(pk=membership.pk).exists()
    assert not valid(date(2024, 3, 1)).filter(pk=membership.pk).exists()
