"""Search over a village's pages, Chinese included.

The database backends split text on spaces and punctuation, so unspaced Chinese would be one
long token. Pages index `search_bigrams`: the text with every run of Han characters replaced by
its overlapping two-character pieces (严禁燃放 → 严禁 禁燃 燃放). A query is cut the same way and
all its pieces must match, so 烟花 finds 严禁燃放烟花爆竹.
"""

import re

from django.utils.html import strip_tags

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _pieces(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def bigrams(text: str) -> str:
    text = strip_tags(text or "")
    out = []
    last = 0
    for match in HAN.finditer(text):
        out.append(text[last : match.start()])
        out.append(" " + " ".join(_pieces(match.group())) + " ")
        last = match.end()
    out.append(text[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def query_terms(query: str) -> str:
    return bigrams(query)


def search_pages(query: str, root_page, user=None):
    """Live pages under `root_page` matching `query` (all two-character pieces present)."""
    from wagtail.models import Page
    from wagtail.search.query import And, PlainText

    terms = query_terms(query).split()
    if not terms:
        return []
    pages = Page.objects.live().public().descendant_of(root_page, inclusive=True).specific()
    search_query = And([PlainText(t) for t in terms]) if len(terms) > 1 else PlainText(terms[0])
    return pages.search(search_query, operator="and")
