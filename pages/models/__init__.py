"""Wagtail pages of a village's site: home (一核五治), rules, moral models, notices with read
receipts, the village-affairs board and the power list. Each village's pages live under its own
VillageHomePage; editors of one village can edit only that subtree.

One module per subject; each page serves itself (its `get_context`/`serve` read through the
functions beside it), so nothing here imports the selectors, fragments or views above it.
Everything is re-exported here (migration 0001 names `pages.models.SearchableMixin`)."""

from .base import SearchableMixin, stream_text, village_id_of, village_of_page
from .notices import (
    Audience,
    NoticeBoard,
    NoticeCategory,
    NoticeIndexPage,
    NoticePage,
    NoticePageForm,
    NoticeRead,
    NoticeTold,
    ToldChannel,
    Urgency,
    area_ids,
    audience_filter,
    current_notices,
    in_audience,
    may_read,
    notice_index_context,
    notices_for,
    open_to_everyone,
    public_notices,
    reach_due_at,
)
from .rules import RulesPage, earlier_versions, published_revision_ids, rule_lines
from .site import (
    HomeBoard,
    MoralCategory,
    MoralModelIndexPage,
    MoralModelPage,
    PowerListPage,
    StandardPage,
    TodoVisit,
    TransparencyPage,
    VillageHomePage,
    home_context,
    site_links,
    transparency_context,
)

__all__ = [
    "Audience",
    "HomeBoard",
    "MoralCategory",
    "MoralModelIndexPage",
    "MoralModelPage",
    "NoticeBoard",
    "NoticeCategory",
    "NoticeIndexPage",
    "NoticePage",
    "NoticePageForm",
    "NoticeRead",
    "NoticeTold",
    "PowerListPage",
    "RulesPage",
    "SearchableMixin",
    "StandardPage",
    "TodoVisit",
    "ToldChannel",
    "TransparencyPage",
    "Urgency",
    "VillageHomePage",
    "area_ids",
    "audience_filter",
    "current_notices",
    "earlier_versions",
    "home_context",
    "in_audience",
    "may_read",
    "notice_index_context",
    "notices_for",
    "open_to_everyone",
    "public_notices",
    "published_revision_ids",
    "reach_due_at",
    "rule_lines",
    "site_links",
    "stream_text",
    "transparency_context",
    "village_id_of",
    "village_of_page",
]
