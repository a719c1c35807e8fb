"""No whole ID number on any page a villager opens, nor on the secretary's own /me/; the roster
admin masks it too, and the whole number comes only on an explicit reveal that is written to
the audit chain and refused to everyone but the village's staff."""

import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from openpyxl import load_workbook

from village import audit
from village.models import AuditEvent, Villager

WHOLE_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
HREF = re.compile(r'href="([^"#]*)"')
# Not pages of the villager's site: the admin, files, language and session switches.
SKIP = ("/admin", "/static/", "/media/", "/documents/", "/i18n/", "/logout", "/api/", "/verify/")


def _crawl(client, starts, limit=120) -> dict[str, str]:
    """Every page of the site reachable from `starts` by links, as the logged-in user sees it."""
    seen, queue, pages = set(), list(starts), {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in HREF.findall(html):
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/") and not path.startswith(SKIP) and path not in seen:
                queue.append(path)
    return pages


def _no_whole_id(pages: dict[str, str]) -> None:
    for url, html in pages.items():
        found = WHOLE_ID.findall(html)
        assert not found, f"{url} shows {found}"


@pytest.fixture
def ids(site_world):
    return set(Villager.objects.values_list("id_number", flat=True))


@pytest.mark.parametrize("who", ["a1", "secretary", "officer"])
def test_no_page_a_person_opens_shows_a_whole_id_number(site_world, ids, client, who):
    person = getattr(site_world.people, who)
    client.force_login(person.user)
    pages = _crawl(client, ["/", "/?portal=1", "/me/", site_world.home.url])
    assert "/me/" in pages and len(pages) >= 5, sorted(pages)
    assert person.masked_id_number in pages["/me/"]
    _no_whole_id(pages)
    assert not any(number in html for html in pages.values() for number in ids)


# --- the roster admin and its reveal --------------------------------------------------------


def _inspect(client, villager) -> str:
    return client.get(f"/admin/villager/inspect/{villager.pk}/").content.decode()


def _reveal(client, villager):
    return client.post(f"/admin/villagers/{villager.pk}/id-number/")


def _reveals(villager):
    return AuditEvent.objects.filter(
        action="village.villager.reveal_id_number", object_id=str(villager.pk)
    )


def test_secretary_reveals_a_whole_id_number_and_the_chain_records_it(site_world, client):
    secretary, villager = site_world.people.secretary, site_world.people.a1
    client.force_login(secretary.user)
    html = _inspect(client, villager)
    assert villager.id_number not in html and villager.masked_id_number in html
    assert "显示完整身份证号" in html
    response = _reveal(client, villager)
    assert response.status_code == 200
    assert villager.id_number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [event] = _reveals(villager)
    assert event.actor == secretary.user
    assert event.chain == audit.chain_key(village=site_world.village)
    assert event.payload == {"id_number": villager.masked_id_number}  # the chain stays masked
    assert audit.verify_chain(event.chain) is None
    # Shown once: the inspect page is masked again, a second look is a second event.
    assert villager.id_number not in _inspect(client, villager)
    _reveal(client, villager)
    assert _reveals(villager).count() == 2


def test_the_edit_form_shows_no_whole_id_number_even_to_the_secretary(site_world, client):
    client.force_login(site_world.people.secretary.user)
    for villager in Villager.objects.filter(village=site_world.village):
        response = client.get(f"/admin/villager/edit/{villager.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert not WHOLE_ID.findall(html), WHOLE_ID.findall(html)
        assert villager.masked_id_number in html
    assert not AuditEvent.objects.filter(action="village.villager.reveal_id_number").exists()


def test_the_reveal_is_a_post(site_world, client):
    client.force_login(site_world.people.secretary.user)
    response = client.get(f"/admin/villagers/{site_world.people.a1.pk}/id-number/")
    assert response.status_code == 405
    assert not _reveals(site_world.people.a1).exists()


@pytest.mark.parametrize("who", ["officer", "a1", "other_secretary"])
def test_the_reveal_is_refused_to_everyone_but_the_villages_staff(site_world, client, who):
    villager = site_world.people.a2
    client.force_login(getattr(site_world.people, who).user)
    response = _reveal(client, villager)
    assert response.status_code in (302, 403, 404)
    assert villager.id_number not in response.content.decode()
    assert not _reveals(villager).exists()
    html = _inspect(client, villager)
    assert villager.id_number not in html and "显示完整身份证号" not in html


def test_roster_export_whole_for_the_secretary_is_written_to_the_chain(site_world, client):
    client.force_login(site_world.people.secretary.user)
    url = f"/admin/roster/{site_world.village.pk}/export.xlsx"
    sheet = load_workbook(io.BytesIO(client.get(url).content)).active
    cells = [str(c) for row in sheet.iter_rows(min_row=2, values_only=True) for c in row]
    assert site_world.people.a1.id_number in cells
    assert AuditEvent.objects.filter(
        action="village.roster.export", chain=audit.chain_key(village=site_world.village)
    ).exists()
