"""Where higher apps plug into the core without the core importing them: URL patterns."""

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
    """Context processor: the registered header links."""
    from django.urls import reverse

    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"extension_nav": []}
    return {"extension_nav": [(label, reverse(name)) for label, name in _NAV]}


_DEMOS: list = []


def register_demo(builder) -> None:
    """`builder(township, stdout)` adds an app's demo records after the core demo is loaded."""
    _DEMOS.append(builder)


def demo_builders() -> list:
    return list(_DEMOS)
