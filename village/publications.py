"""The registry of what the apps publish on the village-affairs board (村务公开栏).

Lower apps (deliberation, points) register a publication kind with a function returning the
items of a village; `pages` reads the registry and never the apps themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PublishedItem:
    kind: str
    title: str
    published_at: datetime
    url: str
    category: str = ""
    summary: str = ""


@dataclass(frozen=True)
class PublicationKind:
    key: str
    label: str
    items: Callable  # items(village) -> list[PublishedItem]


KINDS: dict[str, PublicationKind] = {}


def register(key: str, label, items: Callable) -> None:
    KINDS[key] = PublicationKind(key, label, items)


def items_for(village, kinds=None) -> list[PublishedItem]:
    result = []
    for key, kind in KINDS.items():
        if kinds is None or key in kinds:
            result.extend(kind.items(village))
    return sorted(result, key=lambda item: item.published_at, reverse=True)
