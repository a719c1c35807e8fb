"""党员亮身份 on a villager's 390 px phone: from the village's site to its board, where a
probationary member is marked as such, then to 我的户 and the household's 包联 member."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import assert_fits_phone, site_login
from tests.support.party_world import build_party_world
from tests.support.site_world import open_site


@pytest.mark.device("phone")
def test_villager_opens_the_board_then_sees_my_party_member(page, screenshot):
    world = build_party_world()
    home = open_site(world.village)

    site_login(page, world.users["neighbour_resident"].username, lands_on=None)
    page.goto(home.url)
    page.get_by_test_id("party-board-link").click()
    expect(page).to_have_url(re.compile(rf"/party/{world.village.code}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("党员亮身份")
    board = page.get_by_test_id("party-board")
    probationary = board.get_by_test_id("party-card").filter(has_text=world.probationary.name)
    expect(probationary.get_by_test_id("party-status")).to_have_text("预备党员")
    secretary = board.get_by_test_id("party-card").filter(has_text=world.secretary.name)
    expect(secretary.get_by_test_id("party-posts")).to_contain_text("党支部书记")
    expect(board).not_to_contain_text(world.probationary.phone)
    assert_fits_phone(page)
    screenshot(page, "board")

    page.get_by_role("navigation").get_by_role("link", name="我的户").click()
    contacts = page.get_by_test_id("party-contacts")
    expect(contacts.get_by_role("heading")).to_have_text("我的包联党员")
    expect(contacts).to_contain_text(world.probationary.name)
    expect(contacts).to_contain_text("包联西二片")
    assert_fits_phone(page)
    screenshot(page)
