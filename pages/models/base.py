"""What every page of a village's site shares: Chinese search text, and the village whose site
holds a page (asked by the page models, the fragment handlers, the selectors and the views)."""

from django.core.cache import cache
from wagtail.models import Page, Site

from village.models import Village

from ..search import bigrams


class SearchableMixin:
    """Chinese has no spaces: index overlapping two-character pieces so a partial word
    (烟花 in 严禁燃放烟花爆竹) is found by the database search backends."""

    def search_text(self) -> str:
        return self.title

    def search_bigrams(self) -> str:
        return bigrams(self.search_text())


def stream_text(value) -> str:
    """The text of a StreamField value (every string and rich text in it), for search."""
    parts = []

    def walk(v):
        if v is None:
            return
        if isinstance(v, str):
            parts.append(v)
        elif hasattr(v, "source"):  # RichText
            parts.append(str(v.source))
        elif isinstance(v, dict) or hasattr(v, "items"):
            for item in v.values():
                walk(item)
        elif isinstance(v, (list, tuple)) or hasattr(v, "__iter__"):
            for item in v:
                walk(getattr(item, "value", item))

    for block in value or []:
        walk(block.value)
    return " ".join(parts)


def village_of_page(page) -> Village | None:
    """The village whose site holds `page` (the nearest VillageHomePage ancestor), one query."""
    step = Page.steplen
    prefixes = [page.path[:i] for i in range(step, len(page.path) + 1, step)]
    return (
        Village.objects.filter(home_page__path__in=prefixes).order_by("-home_page__depth").first()
    )


def village_id_of(page) -> int | None:
    """The village whose site holds `page`, remembered per page and tree position (a moved page
    has a new path, hence a new entry)."""
    if isinstance(getattr(page, "village_id", None), int):
        return page.village_id
    key = f"cz:page-village:{page.pk}:{page.path}"
    village_id = cache.get(key)
    if village_id is None:
        village = village_of_page(page)
        village_id = village.pk if village else 0
        cache.set(key, village_id, None)
    return village_id or None


def part_name(name: str, page, request) -> str:
    """What identifies a part of `page` in the cache, as `wagtailpagecache` keys it: the page's
    own state (its URL path, its last publication) and the site it is served on."""
    site = Site.find_for_request(request)
    return f"{name}:{page.cache_key}:{site.pk if site else 0}"


def saving_parts(response):
    """The page's response, writing the parts it rendered afresh (`context["parts"]`, a
    pages.cache.PageFragments) to the cache together, once it is rendered."""
    parts = response.context_data["parts"]
    response.add_post_render_callback(lambda _response: parts.save())
    return response
