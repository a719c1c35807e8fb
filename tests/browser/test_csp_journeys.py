"""The Wagtail admin and the village site work under production's Content-Security-Policy.

The secretary logs in to the admin, opens the home, writes and publishes a notice in the page
editor (rich text, the audience picker, the footer menu), opens the image library and its upload
form; a villager reads the notice on the site. Any "Refused to ..." the browser reports — in the
console or as a securitypolicyviolation event — fails the test.
"""

from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from pages.models import NoticePage
from tests.factories import PASSWORD
from tests.support.browser import admin_login, footer_action, write_notice
from tests.village._production import production_settings

TITLE = "关于清理河道的通知"


@pytest.fixture
def production_csp():
    """Production's policy and middleware on the live server (it runs in this process)."""
    prod = production_settings()
    with override_settings(
        MIDDLEWARE=prod["MIDDLEWARE"], CONTENT_SECURITY_POLICY=prod["CONTENT_SECURITY_POLICY"]
    ):
        yield prod["CONTENT_SECURITY_POLICY"]


def watch(page) -> list[str]:
    """Every CSP violation the page reports, however the browser reports it."""
    refused: list[str] = []

    def console(message):
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text:
            refused.append(text)

    page.on("console", console)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Refused to load (securitypolicyviolation): ' + e.violatedDirective + ' ' + e.blockedURI"
        "));"
    )
    return refused


def test_admin_and_site_run_under_the_production_csp(
    new_page,
    village_world,
    production_csp,
):
    w = village_world
    secretary = new_page("desktop")
    refused = watch(secretary)

    response = secretary.goto("/admin/login/")
    header = response.headers["content-security-policy"]
    assert "default-src 'self'" in header and "object-src 'none'" in header
    admin_login(secretary, "secretary")
    expect(secretary.locator("#main")).to_be_visible()

    write_notice(
        secretary,
        w["notices"],
        title=TITLE,
        area_label="第一网格 · 三片区",
        body="本周六上午八点，各户出一人清理村东河道。",
    )
    footer_action(secretary, "发布")
    expect(secretary.get_by_text(f"页面'{TITLE}'已创建并发布。")).to_be_visible()
    notice = NoticePage.objects.live().get(title=TITLE)

    # The page editor again (choosers, the settings tab's date pickers), the image library.
    secretary.goto(f"/admin/pages/{notice.pk}/edit/")
    expect(secretary.get_by_placeholder("页面标题*")).to_have_value(TITLE)
    secretary.goto("/admin/images/")
    expect(secretary.locator("#main")).to_be_visible()
    secretary.goto("/admin/images/multiple/add/")
    expect(secretary.locator("input[type=file]").first).to_be_attached()
    secretary.wait_for_load_state("networkidle")
    assert not refused, f"the admin broke the policy: {refused}"

    # A villager of 三片区 reads the notice on the site (a phone).
    phone = new_page("phone")
    site_refused = watch(phone)
    response = phone.goto("/login/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    phone.get_by_label("手机号或用户名").fill("13800000003")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator("input[name=password]")).to_have_count(0)
    phone.goto(urlsplit(notice.get_url()).path)
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    phone.goto(f"/{w['village'].code}/")
    expect(phone.get_by_text(TITLE).first).to_be_visible()
    phone.wait_for_load_state("networkidle")
    assert not site_refused, f"the site broke the policy: {site_refused}"
