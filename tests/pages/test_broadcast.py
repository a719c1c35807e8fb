"""大喇叭播音稿: numbers as they are said aloud, short sentences, read twice; for the cadres who
may print the village's notices."""

import pytest

from pages.broadcast import sentences, spoken, spoken_integer
from tests.support.site_world import publish_notice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "n, said",
    [
        (0, "零"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (200, "两百"),
        (2026, "两千零二十六"),
        (30500, "三万零五百"),
        (120000000, "一亿两千万"),
    ],
)
def test_integers_are_written_as_they_are_said(n, said):
    assert spoken_integer(n) == said


def test_numbers_in_a_notice_are_written_for_reading_aloud():
    text = (
        "2026年12月7日上午8:00到11:30发放，每户200元，共12,000元，占20%，约3.5吨；电话13800000001。"
    )
    assert spoken(text) == (
        "二〇二六年十二月七日上午八点到十一点三十分发放，每户两百元，共一万两千元，占百分之二十，"
        "约三点五吨；电话幺三八零零零零零零零幺。"
    )


def test_a_long_sentence_is_cut_at_its_commas():
    lines = sentences(
        "明天上午在村委会大院发放冬季取暖补贴，请各户带上户口本和身份证，由户主本人领取，"
        "不能代领，逾期不候。谢谢配合！"
    )
    assert all(len(line) <= 31 for line in lines)
    assert lines[-1] == "谢谢配合！" and len(lines) >= 4


def test_the_secretary_opens_the_script_read_twice(site_world, client):
    w = site_world
    notice = publish_notice(
        w.index, "冬季取暖补贴发放通知", body="<p>12月8日上午8:00在村委会发放，每户200元。</p>"
    )
    client.force_login(w.people.secretary.user)
    html = client.get(f"/admin/notices/{notice.pk}/broadcast/").content.decode()
    script = html.split('data-testid="broadcast-script"')[1].split("</article>")[0]
    assert script.count("<p>各位村民请注意，各位村民请注意！</p>") == 2
    assert "十二月八日上午八点在村委会发放，每户两百元。" in script
    assert script.count("下面再播送一遍") == 1 and script.count("播送完毕") == 1
    assert "东毛铺村村委会" in script


def test_the_script_is_for_those_who_print_notices(site_world, client):
    w = site_world
    notice = w.notices.everyone
    client.force_login(w.people.a1.user)
    assert client.get(f"/admin/notices/{notice.pk}/broadcast/").status_code in (302, 403)
    client.force_login(w.people.other_secretary.user)
    assert client.get(f"/admin/notices/{notice.pk}/broadcast/").status_code == 404
