"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Never a downloaded browser: the tests launch /usr/bin/chromium and are skipped, with the reason
said, only when it is missing. Each test gets fresh browser contexts: a phone (390×844, touch,
mobile user agent) for villagers, a 1280×800 desktop for cadres.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEVICES,
    JOURNEY_SHOTS,
    SHOTS,
    save_screenshot,
)
from tests.support.site_world import build_notice_village

HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "device(name): browser context for `page`: 'phone' (villager) or 'desktop'"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            # The server thread must see the test's rows (committed), and the database is
            # restored to its migrated state afterwards (Wagtail's root page, locale, site).
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(scope="module", autouse=True)
def _flush_guarded_tables(flushable_audit_chain):
    """Every browser test is transactional: the flush between tests must get past the
    append-only triggers (the shared fixture in tests/conftest.py)."""
    yield


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in the test thread; Django's ORM (factories in the
    # test body, the database teardown) would otherwise refuse to run "in async context".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(request, browser, live_server):
    """Open a page in a fresh context: ``new_page("phone")`` or ``new_page("desktop")``.

    Requests to any host but the live server are refused and remembered (the site must load
    nothing from outside); uncaught JavaScript errors are remembered too. Both fail the test.
    """
    expect.set_options(timeout=10_000)
    # The database was restored for this test: content type ids cached by an earlier test may
    # name rows it no longer has (a Wagtail log entry written by the server would point at one).
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    own_host = urlsplit(live_server.url).netloc
    contexts = []
    outside: list[str] = []
    js_errors: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == own_host:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def open_page(device: str = "desktop"):
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **DEVICES[device],
        )
        context.set_default_timeout(10_000)
        context.route("**/*", route)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        return page

    yield open_page
    if getattr(request.node, "call_failed", False):
        # Keep what the browser showed when the test failed, for a person to look at.
        SHOTS.mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(contexts):
            for m, failed_page in enumerate(context.pages):
                stem = SHOTS / f"FAILED-{request.node.name}-{n}{m}"
                failed_page.screenshot(path=f"{stem}.png", full_page=True)
                stem.with_suffix(".html").write_text(failed_page.content())
    for context in contexts:
        context.close()
    assert not outside, f"the pages asked for files from other hosts: {outside}"
    assert not js_errors, f"JavaScript errors on the pages: {js_errors}"


@pytest.fixture
def page(request, new_page):
    """One page per test; ``@pytest.mark.device("phone")`` for a villager's phone."""
    marker = request.node.get_closest_marker("device")
    return new_page(marker.args[0] if marker else "desktop")


@pytest.fixture
def screenshot(request):
    """Save the final state of a journey to /tmp/cunzhi-shots/<test name>[-<suffix>].png."""

    def take(page, suffix: str = ""):
        return save_screenshot(page, SHOTS, request.node.name + (f"-{suffix}" if suffix else ""))

    return take


@pytest.fixture
def shot(request):
    """Save what a page shows at a step of a journey to /tmp/cunzhi-shots2/."""

    def take(page, suffix: str = ""):
        name = request.node.name + (f"-{suffix}" if suffix else "")
        return save_screenshot(page, JOURNEY_SHOTS, name)

    return take


@pytest.fixture
def village_world(db):
    """东毛铺村 of the notice journeys: a secretary, the grid officer of 三片区, a villager in
    三片区 and one in 四片区, and the village's site (tests/support/site_world.py)."""
    return build_notice_village()
