"""Where the apps plug into the core, and into each other, without importing each other: URL
patterns, header links, demo builders, role listeners, home resolvers, site listers and the
published resolutions a lower app may act on."""

from dataclasses import dataclass
from datetime import date

from django.urls import include, path

_URLS: list = []


def register_urls(prefix: str, urlconf: str, namespace: str) -> None:
    """Called from an app's AppConfig.ready(): mount `urlconf` at `prefix`."""
    _URLS.append(path(prefix, include((urlconf, namespace), namespace=namespace)))


def urlpatterns() -> list:
    return list(_URLS)


_NAV: list[tuple[object, str]] = []


def register_nav(label, url_name: str) -> None:
    """A link in the site header for signed-in users (e.g. 村里的事)."""
    _NAV.append((label, url_name))


def nav(request) -> dict:
    """Context processor: the registered header links, and the 亲情账号 a page is read through."""
    from django.urls import reverse

    from . import permissions

    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"extension_nav": []}
    return {
        "extension_nav": [(label, reverse(name)) for label, name in _NAV],
        # 亲情账号: every page says for whom the account acts (no query for anyone else).
        "acting_proxy": permissions.proxy_of(request.user),
    }


_ME_SECTIONS: list = []


def register_me_section(section) -> None:
    """`section(request, household, villager_id)` returns rendered HTML (a SafeString) for the
    user's 我的户 page, or "" (e.g. the volunteer hours of the year, 我的包联党员)."""
    _ME_SECTIONS.append(section)


def me_sections(request, household, villager_id) -> list:
    """The registered sections' HTML for `household`, in registration order, empty ones left out."""
    found = [section(request, household, villager_id) for section in _ME_SECTIONS]
    return [html for html in found if html]


_DEMOS: list = []


def register_demo(builder) -> None:
    """`builder(township, stdout)` adds an app's demo records after the core demo is loaded."""
    _DEMOS.append(builder)


def demo_builders() -> list:
    return list(_DEMOS)


_ROLE_LISTENERS: list = []


def register_role_listener(listener) -> None:
    """`listener(user)` runs after a user's roles change (e.g. to sync Wagtail editor groups)."""
    _ROLE_LISTENERS.append(listener)


def roles_changed(user) -> None:
    if user is None:
        return
    for listener in _ROLE_LISTENERS:
        listener(user)


_HOME_RESOLVERS: list = []


def register_home(resolver) -> None:
    """`resolver(user)` returns the URL of a signed-in user's own village site, or None."""
    _HOME_RESOLVERS.append(resolver)


def home_for(user) -> str | None:
    for resolver in _HOME_RESOLVERS:
        url = resolver(user)
        if url:
            return url
    return None


_SITE_LISTERS: list = []


def register_site_lister(lister) -> None:
    """`lister()` returns [(label, url)] of public village sites for the portal page."""
    _SITE_LISTERS.append(lister)


def site_links() -> list:
    links = []
    for lister in _SITE_LISTERS:
        links.extend(lister())
    return links


@dataclass(frozen=True)
class Resolution:
    """A passed resolution another app may act on (e.g. adopting a points catalogue, or
    publishing a welfare allocation it decided)."""

    ref: int  # the matter's id
    title: str
    published_on: date  # the day the resolution was published (决议公开)
    url: str
    category: str = ""  # the matter's category (deliberation's Category value)
    text: str = ""  # the text the vote was bound to (title, blank line, body)
    text_sha256: str = ""  # its SHA-256, as frozen when the vote opened
    # The publication's days are over and every objection was answered (the matter moved on to
    # implementation); `settles_on` is the day its publication ends, while it has not.
    settled: bool = False
    settles_on: date | None = None


_RESOLUTION_LISTERS: list = []


def register_resolutions(lister) -> None:
    """`lister(village)` returns the village's published resolutions, newest first."""
    _RESOLUTION_LISTERS.append(lister)


def resolutions(village) -> list[Resolution]:
    found = []
    for lister in _RESOLUTION_LISTERS:
        found.extend(lister(village))
    return found


_MATTER_OPENERS: list = []


def register_matter_opener(opener) -> None:
    """`opener(*, actor, village, title, body, category, estimated_amount_fen)` opens a draft
    matter through the deciding app's own service (its permission check and audit) and returns
    `(ref, url)`: how a lower app asks for a resolution without importing the procedure."""
    _MATTER_OPENERS.append(opener)


def open_matter(**fields) -> tuple[int, str]:
    if not _MATTER_OPENERS:
        raise LookupError("no app opens matters")
    return _MATTER_OPENERS[0](**fields)


_DEMO_RESOLVERS: list = []


def register_demo_resolver(resolver) -> None:
    """`resolver(*, village, title, body, category, start, estimated_amount_fen)` takes a demo
    matter from `start` through the four steps to a settled, published resolution on the
    simulated clock and returns the day after it settled (demo data only)."""
    _DEMO_RESOLVERS.append(resolver)


def demo_resolution(**fields):
    return _DEMO_RESOLVERS[0](**fields)


_INSPECTIONS: list = []


def register_inspection(label, findings) -> None:
    """`findings(village)` returns an app's compliance findings for the township's 议事巡查
    dashboard: objects with `ok`, `label`, `reason` (e.g. points' 积分与福利)."""
    _INSPECTIONS.append((label, findings))


def inspections(village) -> list[tuple[object, list]]:
    return [(label, findings(village)) for label, findings in _INSPECTIONS]


_RECOUNTS: list = []


def register_recount(recount) -> None:
    """`recount()` recounts an app's stored votes and returns a list of problems, each a
    sentence naming the meeting (or list) whose stored result no longer agrees; `verify_audit`
    runs every registered recount."""
    _RECOUNTS.append(recount)


def recount_problems() -> list[str]:
    problems = []
    for recount in _RECOUNTS:
        problems.extend(recount())
    return problems
