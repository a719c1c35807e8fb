"""Never below the statute: a rule set may be stricter than the law, never looser.

Every door that writes a rule set is tried with a looser value: the model (`full_clean`), the
services (`ruleset_update`, `village_create`) and the admin form. Rows written around them
(`QuerySet.update`) are named by `check_rules` and by the system check.
"""

from fractions import Fraction

import pytest
from django.core import checks as django_checks
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from tests.factories import VillageFactory
from tests.support.rules import amend
from tests.support.village_admin import form_data
from village import checks, services, statute
from village.models import (
    RULE_SOURCES,
    THRESHOLD_RE,
    AuditEvent,
    RuleSet,
    Threshold,
    Village,
)
from village.permissions import SYSTEM

FLOOR_KEYS = list(statute.FLOORS)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _text(fraction: Fraction, inclusive: bool) -> str:
    return f"{'>=' if inclusive else '>'}{fraction.numerator}/{fraction.denominator}"


def _floor(key) -> tuple[Fraction, bool]:
    threshold = Threshold(statute.FLOORS[key][0])
    return threshold.fraction, threshold.inclusive


def looser_values(key) -> list[str]:
    """One step below the floor (the tie for a strict floor), a hair below, and nothing."""
    fraction, inclusive = _floor(key)
    values = [_text(fraction - Fraction(1, 1000), True), _text(fraction - Fraction(1, 1000), False)]
    if not inclusive:
        values.insert(0, _text(fraction, True))  # ">=1/2" lets a tie through; ">1/2" does not
    return [*values, ">=0/1"]


def equal_or_stricter_values(key) -> list[str]:
    fraction, inclusive = _floor(key)
    equal = _text(fraction, inclusive)
    # The same share written otherwise: scaled, spaced, with the ≥ sign.
    op = ">=" if inclusive else ">"
    scaled = f"{op}{fraction.numerator * 2}/{fraction.denominator * 2}"
    spaced = f" {'≥' if inclusive else '>'} {fraction.numerator} / {fraction.denominator} "
    values = [equal, scaled, spaced, _text(fraction + Fraction(1, 1000), True), ">=1/1"]
    if inclusive:
        values.append(_text(fraction, False))  # ">2/3" is stricter than ">=2/3"
    return values


def _cited(key: str) -> str:
    return statute.FLOORS[key][1]


# --- the comparison -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "floor", "looser"),
    [
        (">=1/2", ">1/2", True),  # the tie passes under ">=1/2": looser
        (">1/2", ">1/2", False),
        (">1/2", ">=1/2", False),  # stricter
        (">=1/3", ">=2/3", True),
        (">=0/1", ">1/2", True),
        (">=0/1", ">=1/2", True),
        (">=3/5", ">1/2", False),
        (">3/4", ">=2/3", False),
        (">2/3", ">=2/3", False),
        (">=4/6", ">=2/3", False),  # the same share
        (">=665/1000", ">=2/3", True),
        (">=500001/1000000", ">1/2", False),
        (">=1000000/2000001", ">1/2", True),  # a hair under a half
        ("≥ 2 / 3", ">=2/3", False),
        ("≥ 1 / 2", ">1/2", True),
    ],
)
def test_is_looser_follows_the_civil_code_reading_of_shares(value, floor, looser):
    assert statute.is_looser(value, floor) is looser


def test_a_malformed_value_is_left_to_its_own_field():
    assert statute.is_looser("more than half", ">1/2") is False
    assert statute.is_looser(">1/0", ">1/2") is False


def test_statute_reads_thresholds_with_the_same_grammar_as_the_models():
    # statute.py cannot import village.models (models imports it): its copy must not drift.
    assert statute._SHARE_RE.pattern == THRESHOLD_RE.pattern
    for text in [">1/2", ">=2/3", "≥ 2 / 3", ">=0/1", " > 10/20 "]:
        threshold = Threshold(text)
        assert statute._share(text) == (threshold.fraction, threshold.inclusive)


def test_every_threshold_of_the_rule_set_has_a_floor_and_defaults_meet_it():
    thresholds = {
        f.name
        for f in RuleSet._meta.fields
        if f.name.endswith(("_quorum", "_pass", "_people", "_households"))
    }
    assert thresholds == set(statute.FLOORS)
    for key, (floor, _article) in statute.FLOORS.items():
        default = RuleSet._meta.get_field(key).default
        assert not statute.is_looser(default, floor), key


def test_the_two_committees_cite_their_local_rule():
    for key in statute.CUSTOMARY:
        assert _cited(key).startswith(RULE_SOURCES[key])


# --- door 1: the model --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "value"), [(k, v) for k in FLOOR_KEYS for v in looser_values(k)])
def test_full_clean_refuses_a_threshold_looser_than_its_floor(key, value):
    rules = VillageFactory().rules
    setattr(rules, key, value)
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert list(excinfo.value.message_dict) == [key]
    text = excinfo.value.message_dict[key][0]
    assert f"“{statute._shown(statute.FLOORS[key][0])}”" in text
    assert _cited(key) in text
    assert text.startswith("不得低于")
    assert excinfo.value.error_dict[key][0].code == "below_statute"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value"), [(k, v) for k in FLOOR_KEYS for v in equal_or_stricter_values(k)]
)
def test_full_clean_accepts_a_threshold_equal_to_or_stricter_than_its_floor(key, value):
    rules = VillageFactory().rules
    setattr(rules, key, value)
    rules.full_clean()


@pytest.mark.django_db
def test_the_message_names_the_floor_and_cites_the_article_in_chinese_and_english():
    rules = VillageFactory().rules
    rules.villagers_pass = ">=1/2"
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert excinfo.value.message_dict["villagers_pass"] == [
        "不得低于法定标准“> 1/2”（《村民委员会组织法》第二十二条：到会人员的过半数通过）"
    ]
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert excinfo.value.message_dict["villagers_pass"] == [
        "must not be looser than the statutory minimum “> 1/2” "
        "(《村民委员会组织法》第二十二条：到会人员的过半数通过)"
    ]


@pytest.mark.django_db
def test_every_looser_rule_is_named_at_once():
    rules = VillageFactory().rules
    for key in FLOOR_KEYS:
        setattr(rules, key, ">=0/1")
    rules.adult_age = 17
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert set(excinfo.value.message_dict) == {*FLOOR_KEYS, "adult_age"}


@pytest.mark.django_db
@pytest.mark.parametrize("age", [17, 16, 0])
def test_an_adult_age_under_eighteen_is_refused_citing_article_13(age):
    rules = VillageFactory().rules
    rules.adult_age = age
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert excinfo.value.message_dict == {
        "adult_age": [
            "不得低于法定成年年龄 18 周岁（《村民委员会组织法》第十三条："
            "年满十八周岁的村民有选举权和被选举权）"
        ]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("age", [18, 20, 21])
def test_an_adult_age_of_eighteen_to_twenty_one_is_accepted(age):
    rules = VillageFactory().rules
    rules.adult_age = age
    rules.full_clean()


@pytest.mark.django_db
def test_the_database_refuses_an_adult_age_under_eighteen_written_around_the_model():
    village = VillageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        amend(village, adult_age=17)  # a new version, inserted around the model
    assert village.rules.adult_age == 18


@pytest.mark.django_db
def test_a_malformed_threshold_is_reported_by_its_field_not_as_a_floor():
    rules = VillageFactory().rules
    rules.villagers_pass = "half"
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert "阈值格式" in excinfo.value.message_dict["villagers_pass"][0]


# --- door 2: the services -----------------------------------------------------------------


def _snapshot(rules: RuleSet) -> dict:
    return {f.attname: getattr(rules, f.attname) for f in RuleSet._meta.concrete_fields}


@pytest.mark.parametrize(
    ("key", "value"),
    [(k, looser_values(k)[0]) for k in FLOOR_KEYS] + [("adult_age", 17)],
)
def test_ruleset_update_refuses_a_looser_value_and_writes_nothing(township_world, key, value):
    rules = township_world["own"].rules
    before = _snapshot(rules)
    history = rules.history.count()
    with pytest.raises(ValidationError) as excinfo:
        services.ruleset_update(
            actor=township_world["users"]["township_admin"], ruleset=rules, **{key: value}
        )
    assert "不得低于" in excinfo.value.message_dict[key][0]
    rules.refresh_from_db()
    assert _snapshot(rules) == before
    assert rules.history.count() == history
    assert not AuditEvent.objects.filter(action="village.rules.update").exists()


def test_ruleset_update_accepts_a_stricter_rule(township_world):
    rules = township_world["own"].rules
    new = services.ruleset_update(
        actor=township_world["users"]["township_admin"],
        ruleset=rules,
        party_quorum=">=2/3",
        villagers_pass=">=3/5",
        adult_age=18,
    )
    assert (new.party_quorum, new.villagers_pass, new.version) == (">=2/3", ">=3/5", 2)
    rules.refresh_from_db()  # the version amended is kept as it was
    assert (rules.party_quorum, rules.villagers_pass) == (">=1/2", ">1/2")


def test_village_create_refuses_a_looser_rule_set_and_creates_no_village(township_world):
    with pytest.raises(ValidationError) as excinfo:
        services.village_create(
            actor=SYSTEM,
            township=township_world["own"].township,
            name="南山村",
            code="nanshan",
            representatives_quorum=">1/2",
        )
    assert "第二十六条" in excinfo.value.message_dict["representatives_quorum"][0]
    assert not Village.objects.filter(code="nanshan").exists()


# --- door 3: the admin form ---------------------------------------------------------------


def _admin_form_data(client, rules) -> dict:
    response = client.get(f"/admin/ruleset/edit/{rules.pk}/")
    assert response.status_code == 200
    return form_data(response.context["form"])


@pytest.mark.parametrize(
    ("key", "value"),
    [(k, looser_values(k)[0]) for k in FLOOR_KEYS] + [("adult_age", "17")],
)
def test_admin_form_refuses_a_looser_value_and_saves_nothing(township_world, client, key, value):
    client.force_login(township_world["users"]["township_admin"])
    rules = township_world["own"].rules
    before = _snapshot(rules)
    data = _admin_form_data(client, rules)
    data[key] = value
    response = client.post(f"/admin/ruleset/edit/{rules.pk}/", data)
    assert response.status_code == 200  # the form again, with the error under the field
    form = response.context["form"]
    assert list(form.errors) == [key]
    cited = statute.ADULT_AGE_ARTICLE if key == "adult_age" else _cited(key)
    assert cited in form.errors[key][0]
    html = response.content.decode()
    assert "不得低于" in html
    rules.refresh_from_db()
    assert _snapshot(rules) == before
    assert not AuditEvent.objects.filter(action="village.rules.update").exists()


def test_admin_form_saves_a_stricter_value(township_world, client):
    """The control for the refusals above: the same form data, stricter, is saved."""
    client.force_login(township_world["users"]["township_admin"])
    rules = township_world["own"].rules
    data = _admin_form_data(client, rules)
    data["representatives_quorum"] = ">=3/4"
    response = client.post(f"/admin/ruleset/edit/{rules.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    new = RuleSet.objects.filter(village=rules.village).order_by("-version").first()
    assert (new.version, new.representatives_quorum) == (2, ">=3/4")
    rules.refresh_from_db()
    assert rules.representatives_quorum == ">=2/3"  # a new version, the old one kept
    assert AuditEvent.objects.filter(action="village.rules.update").count() == 1


def test_admin_cannot_create_a_rule_set_on_its_own(township_world, client):
    client.force_login(township_world["users"]["township_admin"])
    count = RuleSet.objects.count()
    response = client.post("/admin/ruleset/new/", {"villagers_pass": ">=0/1"})
    assert response.status_code in (302, 403)
    assert RuleSet.objects.count() == count


# --- rows written around validation: the command and the system check ---------------------


@pytest.mark.django_db
def test_check_rules_names_a_looser_row_and_exits_non_zero(capsys):
    good = VillageFactory(name="东毛铺村", code="dongmaopu")
    bad = VillageFactory(name="西河村", code="xihe")
    amend(bad, villagers_pass=">=1/2", party_quorum=">=1/3")
    with pytest.raises(CommandError) as excinfo:
        call_command("check_rules")
    assert "2 rule(s) looser" in str(excinfo.value)
    err = capsys.readouterr().err
    assert "西河村 (xihe): villagers_pass = '>=1/2', floor > 1/2" in err
    assert "《村民委员会组织法》第二十二条" in err
    assert "西河村 (xihe): party_quorum = '>=1/3', floor ≥ 1/2" in err
    assert "《中国共产党支部工作条例（试行）》第十一条" in err
    assert good.name not in err


@pytest.mark.django_db
def test_check_rules_exit_status_from_the_command_line(capsys):
    from django.core.management import ManagementUtility

    village = VillageFactory()
    amend(village, villagers_quorum_households=">=1/2")
    with pytest.raises(SystemExit) as excinfo:
        ManagementUtility(["manage.py", "check_rules"]).execute()
    assert excinfo.value.code not in (0, None)
    assert "villagers_quorum_households = '>=1/2', floor ≥ 2/3" in capsys.readouterr().err


@pytest.mark.django_db
def test_check_rules_passes_when_every_rule_set_meets_the_floors(capsys):
    VillageFactory()
    stricter = VillageFactory()
    amend(stricter, party_quorum=">=2/3", adult_age=20)
    call_command("check_rules")
    # Three versions: each village's first, and the stricter village's second.
    assert "every rule set meets the statutory floors (3)" in capsys.readouterr().out


@pytest.mark.django_db
def test_check_rules_command_line_exits_zero_when_clean(capsys):
    from django.core.management import ManagementUtility

    VillageFactory()
    ManagementUtility(["manage.py", "check_rules"]).execute()  # no SystemExit: status 0
    assert "every rule set meets the statutory floors (1)" in capsys.readouterr().out


@pytest.mark.django_db
def test_system_check_warns_once_per_looser_rule():
    VillageFactory()
    bad = VillageFactory(name="西河村")
    amend(bad, representatives_quorum=">1/2", committees_pass=">=1/2")
    found = [m for m in django_checks.run_checks(databases=["default"]) if m.id == "village.W001"]
    assert len(found) == 2
    assert all(m.level == django_checks.WARNING and m.obj == bad.rules for m in found)
    text = " ".join(m.msg for m in found)
    assert "representatives_quorum = '>1/2' is looser than the floor ≥ 2/3" in text
    assert "《村民委员会组织法》第二十六条" in text
    assert "两委联席会议议事规则（地方惯例）" in text


@pytest.mark.django_db
def test_system_check_is_silent_when_every_rule_set_meets_the_floors():
    VillageFactory()
    assert checks.rule_sets_meet_the_statute(databases=["default"]) == []
    assert checks.rule_sets_meet_the_statute(databases=None) == []


@pytest.mark.django_db
def test_a_plain_manage_py_check_warns_of_a_looser_rule(capsys):
    village = VillageFactory()
    amend(village, villagers_pass=">=1/2")
    found = [m for m in django_checks.run_checks() if m.id == "village.W001"]
    assert len(found) == 1 and "villagers_pass = '>=1/2'" in found[0].msg


@pytest.mark.django_db
def test_system_check_does_not_fail_on_a_database_without_the_table(monkeypatch):
    village = VillageFactory()
    amend(village, villagers_pass=">=1/2")
    monkeypatch.setattr(RuleSet._meta, "db_table", "village_no_such_table")
    assert checks.rule_sets_meet_the_statute(databases=["default"]) == []
    monkeypatch.undo()
    # The failed query was confined to a savepoint: the transaction around it still works.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert len(checks.rule_sets_meet_the_statute(databases=["default"])) == 1
