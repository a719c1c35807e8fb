"""The village's rules (村规民约): each adoption a published revision; earlier published versions
are shown and compared line by line."""

import difflib

from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.search import index

from ..blocks import ChapterBlock
from ..cache import PageFragments
from .base import SearchableMixin, part_name, saving_parts, stream_text, village_id_of


class RulesPage(SearchableMixin, Page):
    """村规民约: chapters of numbered articles. Each adoption is published as a new revision;
    earlier published revisions are shown and compared."""

    preamble = models.TextField(_("序言"), blank=True)
    chapters = StreamField([("chapter", ChapterBlock())], verbose_name=_("章节"))
    adopted_on = models.DateField(_("通过日期"), null=True, blank=True)
    adopting_matter = models.ForeignKey(
        "deliberation.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("通过该版本的议题"),
    )
    adopting_resolution_url = models.URLField(_("或决议链接"), blank=True)
    filed_on = models.DateField(_("报乡镇备案日期"), null=True, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("preamble"),
        FieldPanel("chapters"),
        MultiFieldPanel(
            [
                FieldPanel("adopted_on"),
                FieldPanel("adopting_matter"),
                FieldPanel("adopting_resolution_url"),
                FieldPanel("filed_on"),
            ],
            heading=_("通过与备案"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    subpage_types: list[str] = []
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("村规民约")

    def search_text(self):
        return f"{self.title} {self.preamble} {stream_text(self.chapters)}"

    def serve(self, request, *args, **kwargs):
        """The current rules; `?version=<revision>` an earlier published version; `?compare=` a
        line-by-line comparison of an earlier version with the current one. The current rules
        are kept as a rendered fragment (pages/fragments.py): the versions are read only when it
        is not cached."""
        version_id = request.GET.get("version") or ""
        compare_id = request.GET.get("compare") or ""
        shown = self
        version = None
        diff = None
        if version_id or compare_id:
            versions = earlier_versions(self)
        else:
            versions = SimpleLazyObject(lambda: earlier_versions(self))
        if version_id:
            version = next((r for r in versions if str(r.pk) == version_id), None)
            if version is None:
                raise Http404
            shown = version.as_object()
        if compare_id:
            diff = self.compare_table(versions, compare_id)
        # The same for everyone, and nothing dated: the key survives midnight.
        parts = PageFragments(
            village_id_of(self),
            None,
            shared={"rules": f"{part_name('rules', self, request)}:{version_id}:{compare_id}"},
            own={},
        )
        return saving_parts(
            TemplateResponse(
                request,
                "pages/rules_page.html",
                {
                    "page": self,
                    "self": self,
                    "shown": shown,
                    "version": version,
                    "versions": versions,
                    "diff": diff,
                    "parts": parts,
                },
            )
        )

    def compare_table(self, versions: list, compare_id: str) -> str:
        """The earlier version `compare_id` beside the current rules, line by line (HTML)."""
        other = next((r for r in versions if str(r.pk) == compare_id), None)
        if other is None:
            raise Http404
        return difflib.HtmlDiff(wrapcolumn=40).make_table(
            rule_lines(other.as_object()),
            rule_lines(self),
            fromdesc=gettext("%s 版")
            % (other.as_object().adopted_on or timezone.localdate(other.created_at)),
            todesc=gettext("现行版（%s）") % (self.adopted_on or ""),
        )


def earlier_versions(page: RulesPage) -> list:
    """The rules' earlier published revisions, newest first, each with its `adopted_on`."""
    versions = list(
        Revision.page_revisions.filter(object_id=str(page.pk), approved_go_live_at__isnull=True)
        .exclude(pk=page.live_revision_id)
        .filter(pk__in=published_revision_ids(page))
        .order_by("-created_at")
    )
    for revision in versions:
        # The revision's content is JSON: its dates are strings the template cannot format.
        revision.adopted_on = parse_date(revision.content.get("adopted_on") or "")
    # The empty page a new site starts with was never a version of the rules.
    return [r for r in versions if r.content.get("chapters") not in (None, "", "[]", [])]


def published_revision_ids(page) -> list[int]:
    """The revisions of `page` that were ever published."""
    ids = PageLogEntry.objects.filter(page=page, action="wagtail.publish").values_list(
        "revision_id", flat=True
    )
    return [i for i in ids if i]


def rule_lines(rules: RulesPage) -> list[str]:
    """The rules as lines of text: the preamble, then each chapter's title and articles."""
    lines = [rules.preamble] if rules.preamble else []
    for block in rules.chapters:
        lines.append(block.value["title"])
        lines.extend(str(a) for a in block.value["articles"])
    return lines
