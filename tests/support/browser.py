"""What every browser journey shares: Debian's Chromium and the two devices, logging in, a
page that fits a phone, screenshots. The fixtures that use them are in tests/browser/conftest.py.
"""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Where `screenshot` saves a journey's last page, and where `shot` saves its steps.
SHOTS = Path("/tmp/cunzhi-shots")
JOURNEY_SHOTS = Path("/tmp/cunzhi-shots2")

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2254A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
DEVICES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": PHONE_UA,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def save_screenshot(page, folder: Path, name: str) -> Path:
    """Save the whole page, animations stopped, to `folder`/`name`.png."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def assert_fits_phone(page, width: int = 390):
    """The page does not scroll sideways on a phone. Measured once the page has loaded: after a
    click the DOM can be there before the stylesheet."""
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways on a {width}px phone: {scroll}px wide"


def admin_login(page, username: str):
    """Log in to the Wagtail admin; the login form is gone once the dashboard greets the user."""
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("input[name=password]")).to_have_count(0)


def site_login(page, login: str, *, lands_on: str | None = "我的待办"):
    """Log in on the village site by phone or username; a villager lands on 我的待办."""
    page.goto("/login/")
    page.get_by_label("手机号或用户名").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if lands_on:
        expect(page.get_by_role("heading", level=1)).to_have_text(lands_on)


# --- the page editor ---------------------------------------------------------------------


def write_notice(page, index, *, title, area_label, body):
    """Fill in Wagtail's page editor for a new notice under `index` (the 通知公告 section)."""
    page.goto(f"/admin/pages/{index.pk}/add_subpage/")
    # A notice is the only kind of page the section allows: the editor opens at once.
    expect(page).to_have_url(re.compile(r"/admin/pages/add/pages/noticepage/\d+/$"))
    page.get_by_placeholder("页面标题*").fill(title)
    page.get_by_role("combobox", name=re.compile("^发送范围")).select_option(label="指定网格或片区")
    page.get_by_role("listbox", name=re.compile("^网格或片区")).select_option(label=area_label)
    editor = page.get_by_role("textbox").and_(page.locator(".public-DraftEditor-content"))
    editor.click()
    editor.press_sequentially(body)
    expect(editor).to_contain_text(body)
    # Draftail stores what was typed in the form a moment later (debounced), as a person's
    # pause before reaching for the menu would allow.
    expect(page.locator("input[name=body]")).to_have_value(re.compile(re.escape(body)))


def footer_action(page, name: str):
    """Click an action in the editor's footer menu (the one beside "保存草稿")."""
    page.locator("footer .w-dropdown__toggle").click()
    page.get_by_role("button", name=name).click()
