"""The village sites' fragments do not all expire at one moment (issue 16): what shows nothing
dated keeps its key across midnight, every village keeps its fragments for its own length of
time, and a change of a township, a village or a township role advances the villages it
touches, not every village. A dated list still changes at midnight (a notice must not show the
day after it expired: tests/pages/test_fragments.py)."""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from pages import fragments
from pages.cache import STAGGER, TIMEOUT
from tests.factories import TownshipFactory, TownshipMembershipFactory, UserFactory, VillageFactory


def _keys(*villages, dated=False):
    return [fragments.fragment_key(v.pk, AnonymousUser(), dated=dated) for v in villages]


def test_two_villages_fragments_do_not_expire_at_the_same_moment(site_world):
    w = site_world
    ours, theirs = fragments.fragment_timeout(w.village.pk), fragments.fragment_timeout(w.other.pk)
    assert ours != theirs
    for timeout in (ours, theirs):
        assert TIMEOUT <= timeout < TIMEOUT + STAGGER
    assert fragments.fragment_timeout(w.village.pk) == ours  # the same in every process


def test_undated_fragments_keep_their_key_across_midnight_and_dated_ones_do_not(
    site_world, monkeypatch
):
    w = site_world
    undated, dated = _keys(w.village), _keys(w.village, dated=True)
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + timedelta(days=1))
    assert _keys(w.village) == undated
    assert _keys(w.village, dated=True) != dated


def test_the_shared_parts_of_the_home_stay_cached_after_midnight(site_world, client, monkeypatch):
    w = site_world
    html = client.get(w.home.url).content.decode()
    assert 'role="search"' in html
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + timedelta(days=1))
    kept = set(cache._cache)  # the tests' cache is local memory
    assert client.get(w.home.url).status_code == 200
    added = [k for k in cache._cache if k not in kept]
    # The dated list of notices and votes was rendered anew; the search box and the sections
    # came from the cache.
    assert any("village-home-mine" in k for k in added)
    assert not any("village-home-search" in k or "village-home-sections" in k for k in added)


def test_a_township_change_advances_its_villages_only(site_world):
    w = site_world
    elsewhere = VillageFactory(township=TownshipFactory(name="远方镇"))
    before = _keys(w.village, w.other, elsewhere)
    w.township.name = "新名镇"
    w.township.save()
    after = _keys(w.village, w.other, elsewhere)
    assert after[0] != before[0] and after[1] != before[1]
    assert after[2] == before[2]


def test_a_township_role_advances_the_villages_of_that_township_only(site_world):
    w = site_world
    elsewhere = VillageFactory(township=TownshipFactory(name="远方镇"))
    before = _keys(w.village, elsewhere)
    TownshipMembershipFactory(township=w.township, role="inspector", user=UserFactory())
    after = _keys(w.village, elsewhere)
    assert after[0] != before[0] and after[1] == before[1]


def test_a_village_change_advances_that_village_only(site_world):
    w = site_world
    before = _keys(w.village, w.other)
    w.other.name = "西河新村"
    w.other.save()
    after = _keys(w.village, w.other)
    assert after[0] == before[0] and after[1] != before[1]
