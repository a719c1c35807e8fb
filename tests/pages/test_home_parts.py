"""The village home's parts in the cache (pages/cache.py, `PageFragments`): read together with
the generations they depend on in one round trip, written together in one more, and never
served once what they show may have changed — even when rendered from data read before the
change."""

from django.core.cache import cache

from pages import fragments
from pages.cache import PageFragments
from tests.support.site_world import publish_notice


class _CacheCalls:
    """Which calls the page made to the cache for the keys of the village sites."""

    def __init__(self, monkeypatch):
        self.calls = []
        self._inside = False
        for method in ("get", "get_many", "set", "set_many"):
            monkeypatch.setattr(cache, method, self._recording(method, getattr(cache, method)))

    def _recording(self, method, call):
        def recorded(keys, *args, **kwargs):
            if self._inside:  # the tests' cache makes get_many of get: one call to the cache
                return call(keys, *args, **kwargs)
            names = [keys] if isinstance(keys, str) else list(keys)
            if any(name.startswith(("cz:part:", "cz:site-gen:")) for name in names):
                self.calls.append((method, names))
            self._inside = True
            try:
                return call(keys, *args, **kwargs)
            finally:
                self._inside = False

        return recorded


def test_a_fresh_home_reads_its_parts_in_one_call_and_writes_them_in_one(
    site_world, client, monkeypatch
):
    w = site_world
    client.force_login(w.people.a1.user)
    client.get(w.home.url)
    fragments.site_changed(None)  # as a publication does: every part must be rendered anew
    calls = _CacheCalls(monkeypatch).calls
    html = client.get(w.home.url).content.decode()
    assert w.notices.area1.title in html and 'role="search"' in html
    assert [method for method, _keys in calls] == ["get_many", "set_many"]
    read, written = calls[0][1], calls[1][1]
    parts = [key for key in read if key.startswith("cz:part:")]
    assert len(parts) == 4  # the search box, the sections, the section links, the user's own
    assert sorted(written) == sorted(parts)


def test_a_cached_home_makes_one_call_to_the_cache_for_its_parts(site_world, client, monkeypatch):
    w = site_world
    client.force_login(w.people.a1.user)
    first = client.get(w.home.url).content.decode()
    calls = _CacheCalls(monkeypatch).calls
    again = client.get(w.home.url).content.decode()
    assert [method for method, _keys in calls] == ["get_many"]
    assert w.notices.area1.title in again
    assert again.count("<li") == first.count("<li")


def _parts(village_id):
    return PageFragments(village_id, None, shared={"list": "test-list"}, own={})


def test_a_part_rendered_from_data_read_before_a_change_is_not_served_after_it(site_world):
    village_id = site_world.village.pk
    before = _parts(village_id)
    assert before.get("list") is None
    fragments.site_changed(village_id)  # a publication while the page was being rendered
    before.keep("list", "<li>旧的列表</li>")
    before.save()
    assert _parts(village_id).get("list") is None
    fresh = _parts(village_id)
    fresh.keep("list", "<li>新的列表</li>")
    fresh.save()
    assert _parts(village_id).get("list") == "<li>新的列表</li>"


def test_a_notice_published_after_the_home_was_cached_shows_at_once(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    assert "夏季防汛通知" not in client.get(w.home.url).content.decode()
    publish_notice(w.index, "夏季防汛通知")
    html = client.get(w.home.url).content.decode()
    assert "夏季防汛通知" in html
    assert 'data-testid="unread-count">3 条未读' in html
