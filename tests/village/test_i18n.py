"""Chinese by default, English on request; Wagtail's admin in Chinese without English leftovers.

The catalogues live in village/locale (docs/i18n.md): en/ is our Chinese msgids in English,
zh_Hans/ is a hand-kept supplement of Wagtail's English msgids that Wagtail's own zh_Hans lacks.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import HouseholdFactory, VillageFactory, VillagerFactory, villager_with_role
from village.models import Household, Membership, Villager, VillageRole

LOCALE = Path(settings.LOCALE_PATHS[0])


# ---------------------------------------------------------------------------
# The villager-facing site
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_site_is_chinese_by_default(client):
    for url in ["/login/", "/"]:
        html = client.get(url).content.decode()
        assert '<html lang="zh-Hans">' in html
        assert "登录" in html
        assert "Log in" not in html


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"

    login = client.get("/login/").content.decode()
    assert '<html lang="en">' in login
    assert "Log in" in login
    assert "Mobile number or username" in login
    assert "登录" not in login
    home = client.get("/").content.decode()
    assert "Cunzhi · Village governance platform" in home
    assert "村治 · 村务治理平台" not in home

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "村治 · 村务治理平台" in client.get("/").content.decode()


def test_model_names_and_choices_follow_the_language():
    with translation.override("en"):
        assert str(Villager._meta.verbose_name) == "Villager"
        assert str(Household._meta.verbose_name) == "Household"
        assert str(Household._meta.get_field("number").verbose_name) == "Household no."
        assert str(Membership._meta.get_field("role").verbose_name) == "Role"
        assert str(VillageRole("secretary").label) == "Party branch secretary"
        assert str(VillageRole("grid_officer").label) == "Grid officer"
    with translation.override("zh-hans"):
        assert str(Villager._meta.verbose_name) == "村民"
        assert str(VillageRole("secretary").label) == "党支部书记"


def test_placeholders_survive_translation():
    with translation.override("en"):
        text = translation.gettext("已导入 %(n)d 名村民（新建 %(h)d 户）。") % {"n": 3, "h": 1}
        assert text == "Imported 3 villagers (1 new households)."
        one = translation.ngettext("家庭成员（%(n)s 人）", "家庭成员（%(n)s 人）", 1) % {"n": 1}
        assert one == "Household members (1 person)"


# ---------------------------------------------------------------------------
# The catalogues themselves: complete, not fuzzy, and compiled
# ---------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """A minimal .po reader (entries are separated by blank lines); the header is dropped."""
    entries, entry, key = [], {"flags": []}, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry.get("msgid"):
                entries.append(entry)
            entry, key = {"flags": []}, None
        elif line.startswith("#,"):
            entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue  # comments, references, obsolete (#~) entries
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return entries


def _mo_key(entry: dict) -> str | tuple:
    msgid = entry["msgid"]
    if "msgctxt" in entry:
        msgid = f"{entry['msgctxt']}\x04{msgid}"
    return (msgid, 0) if "msgid_plural" in entry else msgid


@pytest.mark.parametrize(
    "language,domain",
    [("en", "django"), ("zh_Hans", "django"), ("zh_Hans", "djangojs")],
)
def test_catalogue_is_translated_and_compiled(language, domain):
    po = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    entries = _po_entries(po)
    assert entries
    for e in entries:
        assert "fuzzy" not in e["flags"], e["msgid"]
        strings = [v for k, v in e.items() if k.startswith("msgstr")]
        assert strings and all(strings), f"untranslated in {po.name}: {e['msgid']!r}"
    with open(po.with_suffix(".mo"), "rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    stale = [e["msgid"] for e in entries if _mo_key(e) not in catalog]
    assert not stale, f"{po.with_suffix('.mo')} is stale, run compilemessages: {stale[:5]}"


def test_zh_hans_supplement_holds_no_chinese_msgids():
    """Our Chinese msgids must never land in the zh_Hans file (makemessages -l zh_Hans)."""
    for domain in ["django", "djangojs"]:
        for e in _po_entries(LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"):
            assert not re.search(r"[\u4e00-\u9fff]", e["msgid"]), e["msgid"]


# ---------------------------------------------------------------------------
# Wagtail's admin, as a village cadre meets it
# ---------------------------------------------------------------------------


@pytest.fixture
def secretary_client(client, db):
    village = VillageFactory(name="东毛铺村")
    household = HouseholdFactory(village=village)
    for _ in range(3):
        VillagerFactory(household=household)
    user = villager_with_role(village, "secretary", household=household).user
    client.force_login(user)
    client.household = household
    return client


def _admin(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_admin_villager_screens_have_no_english_leftovers(secretary_client):
    listing = _admin(secretary_client, "/admin/villager/")
    assert "Sort by" not in listing
    assert "按“姓名”升序排列。" in listing
    assert "显示筛选条件" in listing

    empty = _admin(secretary_client, "/admin/villager/?q=zzzz")
    assert "match your query" not in empty
    assert "没有符合查询条件的村民。" in empty

    new = _admin(secretary_client, "/admin/villager/new/")
    assert "New: " not in new
    assert "新建：村民" in new
    assert "Save your changes before leaving" not in new

    villager = secretary_client.household.members.first()
    inspect = _admin(secretary_client, f"/admin/villager/inspect/{villager.pk}/")
    assert "<title>查看: " in inspect
    history = _admin(secretary_client, f"/admin/villager/history/{villager.pk}/")
    assert "起始日期" in history
    assert "起始日起" not in history

    for page in [listing, empty, new, inspect, history]:
        for english in ["Keyboard shortcuts are", "Show keyboard shortcuts", "Actions (footer)"]:
            assert english not in page


@pytest.mark.django_db
def test_admin_login_page_is_chinese(client):
    html = _admin(client, "/admin/login/")
    assert "登录" in html
    assert "Sign in" not in html
    assert "JavaScript is required" not in html


def test_admin_in_english_stays_english(secretary_client):
    """The zh_Hans supplement must not leak into the English admin."""
    secretary_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    listing = _admin(secretary_client, "/admin/villager/")
    assert "Sort by &#x27;Name&#x27; in ascending order." in listing or "Sort by 'Name'" in listing
    assert "升序排列" not in listing
