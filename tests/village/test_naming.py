"""Areas and grids sort by number, Chinese numerals included: 二片区 before 十片区 before 十一片区,
in the unread report, the notice form's grid picker, the matter page's filter and the admin."""

import pytest

from pages.selectors import reach_report
from tests.factories import AreaFactory, HouseholdFactory
from village.naming import chinese_number, natural_key, natural_sorted
from village.selectors import areas_of

COUNTED = ["一片区", "二片区", "三片区", "九片区", "十片区", "十一片区", "十九片区", "二十片区"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        *[("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23)],
        *[("九十九", 99), ("一百零五", 105), ("两", 2), ("二〇二五", 2025), ("零", 0)],
    ],
)
def test_chinese_numerals_read_as_numbers(text, number):
    assert chinese_number(text) == number


def test_chinese_area_names_sort_by_number_not_by_unicode():
    shuffled = ["十片区", "二片区", "二十片区", "一片区", "十一片区", "三片区", "九片区"]
    shuffled.append("十九片区")
    assert sorted(shuffled) != COUNTED  # what the database's collation gives
    assert natural_sorted(shuffled) == COUNTED


def test_arabic_digits_and_mixed_names_sort_by_number():
    names = ["12号片区", "3号片区", "1号片区", "第二网格", "第十网格", "第一网格", "2号片区"]
    assert natural_sorted(names) == [
        "1号片区",
        "2号片区",
        "3号片区",
        "12号片区",
        "第一网格",
        "第二网格",
        "第十网格",
    ]
    # Arabic and Chinese numerals of the same number sit together.
    assert natural_sorted(["3片区", "二片区", "1片区"]) == ["1片区", "二片区", "3片区"]


def test_names_without_numbers_keep_their_order_and_never_fail():
    assert natural_sorted(["东片", "西片", "", "南片"]) == ["", "东片", "南片", "西片"]
    assert natural_key("") == ()


def _more_areas(world):
    """十片区, 十一片区 and 二十片区 in the second grid, each with a household."""
    areas = {}
    for name in ("二十片区", "十一片区", "十片区"):
        areas[name] = AreaFactory(parent=world.grids.g2, name=name)
        HouseholdFactory(village=world.village, area=areas[name], number=f"{name}-1")
    return areas


def test_the_villages_areas_are_listed_in_natural_order(site_world):
    _more_areas(site_world)
    names = [a.name for a in areas_of(site_world.village)]
    assert names == ["一片区", "二片区", "三片区", "十片区", "十一片区", "二十片区"]


def test_unread_report_lists_areas_in_natural_order(site_world):
    _more_areas(site_world)
    report = reach_report(site_world.notices.everyone, site_world.village)
    areas = [area.split(" · ")[-1] for area, _n in report["by_area"]]
    assert areas == ["一片区", "二片区", "三片区", "十片区", "十一片区", "二十片区"]
    rows = [row.area.split(" · ")[-1] for row in report["rows"]]
    assert rows == sorted(rows, key=areas.index)


def test_notice_form_offers_grids_in_natural_order(site_world, client):
    _more_areas(site_world)
    client.force_login(site_world.people.secretary.user)
    url = f"/admin/pages/add/pages/noticepage/{site_world.index.pk}/"
    html = client.get(url).content.decode()
    picker = html[html.index('name="grids"') - 2000 :]
    order = ["第一网格", "一片区", "二片区", "第二网格", "三片区", "十片区", "十一片区", "二十片区"]
    positions = [
        picker.index(f"· {name}") if "片区" in name else picker.index(name) for name in order
    ]
    assert positions == sorted(positions)


def test_printed_notice_names_its_areas_in_natural_order(site_world):
    from pages.documents import audience_text

    areas = _more_areas(site_world)
    notice = site_world.notices.area1
    notice.grids.add(areas["二十片区"], areas["十片区"], site_world.grids.a3)
    assert audience_text(notice).endswith("一片区、三片区、十片区、二十片区")
