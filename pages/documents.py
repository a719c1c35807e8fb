"""A notice printed for the physical notice board (公告栏): title, category, urgency, dates,
audience and the body in large type, with the village's seal and the QR code to /verify/<code>/ —
issued and registered by village.documents like every other document."""

from html import escape
from html.parser import HTMLParser

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from village import documents, permissions
from village.models import DocumentKind
from village.naming import natural_sorted

from . import selectors
from .models import Audience, NoticePage
from .permissions import PagesAction

# Rich text comes from editors; on paper it keeps its structure and emphasis, nothing else.
# Images, embeds and anything the renderer would fetch are left out, so a printout never asks
# another host for a file (and an editor's HTML cannot reach the renderer).
KEEP = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "b", "strong", "i", "em", "blockquote", "hr"}
SKIP_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}
VOID = {"br", "hr"}


class _Printable(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_CONTENT:
            self.skipping += 1
        elif not self.skipping and tag in KEEP:
            self.out.append(f"<{tag}>")

    def handle_startendtag(self, tag, attrs):
        if not self.skipping and tag in VOID:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in SKIP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
        elif not self.skipping and tag in KEEP and tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(escape(data))


def printable_html(rich_text: str) -> str:
    """The notice's rich text (links and embeds expanded) reduced to plain structure."""
    parser = _Printable()
    parser.feed(expand_db_html(rich_text or ""))
    parser.close()
    # Safe: the parser wrote only the bare tags of KEEP and escaped every piece of text.
    return mark_safe("".join(parser.out))


def audience_text(notice: NoticePage) -> str:
    label = str(notice.get_audience_display())
    if notice.audience == Audience.GRIDS:
        names = natural_sorted(g.name for g in notice.grids.all())
        if names:
            return f"{label}：{'、'.join(names)}"
    return label


def may_print(actor, village) -> bool:
    return village is not None and permissions.can(actor, PagesAction.NOTICE_PRINT, village)


@documents.in_chinese
def notice(actor, notice_page: NoticePage):
    """Issue the printout of a published notice (the live version, as villagers read it)."""
    notice_page = notice_page.specific
    if not isinstance(notice_page, NoticePage):
        raise ValidationError(_("只有通知公告可以打印到公告栏。"))
    village = selectors.village_of_page(notice_page)
    if not may_print(actor, village):
        raise PermissionDenied(_("只有本村干部可以打印通知。"))
    if not notice_page.live:
        raise ValidationError(_("这条通知尚未发布或已撤下，不能打印。"))
    return documents.issue(
        actor=actor,
        village=village,
        kind=DocumentKind.NOTICE,
        title=notice_page.title,
        subject=notice_page,
        template="pages/print/notice.html",
        context={
            "notice": notice_page,
            "body": printable_html(notice_page.body),
            "audience": audience_text(notice_page),
        },
    )
