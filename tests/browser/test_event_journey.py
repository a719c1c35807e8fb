"""随手拍 in a real browser, on 390×844 phones: a villager photographs a blocked drain, picks a
category and sends it; it lands with the area's grid officer, who accepts it, writes what was
done with an after-photo and marks it handled; the villager is told in the inbox, opens the
event from there and rates it. Nothing scrolls sideways."""

import io

from PIL import Image
from playwright.sync_api import expect

from grid.models import EventStatus, GridEvent
from tests.support.browser import assert_fits_phone, site_login
from tests.support.points_world import build_world


def png() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(buffer, format="PNG")
    return {"name": "drain.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_a_drain_reported_from_a_phone_is_handled_and_rated(new_page, shot):
    world = build_world()
    villager = new_page("phone")
    site_login(villager, "villager", lands_on=None)
    villager.goto("/grid/events/")
    expect(villager.get_by_role("heading", level=1)).to_contain_text("随手拍")
    villager.get_by_test_id("report").click()
    form = villager.get_by_test_id("report-form")
    form.get_by_label("拍照").set_input_files(png())
    form.get_by_label("类别").select_option(label="环境卫生")
    form.get_by_label("地点").fill("村口石桥旁")
    form.get_by_label("看到的情况").fill("排水沟被落叶堵住，雨天积水")
    # The phone's position, if the villager allows it.
    villager.context.grant_permissions(["geolocation"])
    villager.context.set_geolocation({"latitude": 36.651216, "longitude": 117.120098})
    form.get_by_role("button", name="附上我的位置").click()
    expect(form.locator("[data-locate-status]")).to_have_text("已附上位置。")
    assert_fits_phone(villager)
    shot(villager, "1-report")
    form.get_by_role("button", name="发送").click()
    expect(villager.locator(".messages li.success")).to_contain_text("已上报")
    expect(villager.get_by_test_id("event-status")).to_contain_text("待受理")
    event = GridEvent.objects.get()
    assert event.area == world.area1 and event.officer == world.officer and event.photo
    assert (str(event.latitude), str(event.longitude)) == ("36.651216", "117.120098")

    officer = new_page("phone")
    site_login(officer, "gridofficer", lands_on=None)
    officer.goto("/grid/events/")
    officer.get_by_test_id("events").get_by_role("link", name="环境卫生 · 东片").click()
    officer.get_by_role("button", name="受理").click()
    expect(officer.get_by_test_id("event-status")).to_contain_text("办理中")
    handle = officer.get_by_test_id("handle-form")
    handle.get_by_label("办理情况").fill("已清掏排水沟，疏通完毕")
    handle.get_by_label("办理后照片（可不传）").set_input_files(png())
    assert_fits_phone(officer)
    handle.get_by_role("button", name="办结").click()
    expect(officer.get_by_test_id("event-status")).to_contain_text("已办结")
    shot(officer, "2-handled")

    villager.goto("/me/inbox/")
    villager.get_by_role("link", name="您上报的事已办结，请评价").click()
    expect(villager.get_by_test_id("handled-note")).to_have_text("已清掏排水沟，疏通完毕")
    rate = villager.get_by_test_id("rate-form")
    rate.get_by_label("5 ★").check()
    rate.get_by_label("意见（可不填）").fill("很及时")
    assert_fits_phone(villager)
    rate.get_by_role("button", name="确认办好了").click()
    expect(villager.get_by_test_id("event-status")).to_contain_text("已评价")
    expect(villager.get_by_test_id("rating")).to_contain_text("5 ★ 很及时")
    expect(villager.get_by_test_id("trail").locator("li")).to_have_count(4)
    shot(villager, "3-rated")
    event.refresh_from_db()
    assert (event.status, event.rating) == (EventStatus.CONFIRMED, 5)
