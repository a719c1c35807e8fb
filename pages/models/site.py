"""The village's site: its home (一核五治) with the sections' links and what it lists for one
user, plain pages, the moral models, the village-affairs board, the power list, and the mark of
the last visit to "我的待办"."""

from functools import cached_property

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageManager
from wagtail.search import index

from village import permissions, publications
from village.models import Village

from ..blocks import BodyBlock, GovernanceSectionBlock, PowerBlock
from ..cache import PageFragments
from .base import SearchableMixin, part_name, saving_parts, stream_text, village_id_of
from .notices import NoticeIndexPage, NoticePage, notices_for, public_notices
from .rules import RulesPage


class VillageHomePageManager(PageManager):
    """Every home comes with its village: the page shows its code and name, and whom the
    notices on it reach depends on it (no second query when a request is routed to it)."""

    def get_queryset(self):
        return super().get_queryset().select_related("village")


class VillageHomePage(SearchableMixin, Page):
    village = models.OneToOneField(
        Village, on_delete=models.PROTECT, related_name="home_page", verbose_name=_("村")
    )
    intro = models.TextField(_("简介"), blank=True)
    sections = StreamField(
        [("section", GovernanceSectionBlock())], blank=True, verbose_name=_("一核五治板块")
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("sections")]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    subpage_types = [
        "pages.StandardPage",
        "pages.RulesPage",
        "pages.MoralModelIndexPage",
        "pages.NoticeIndexPage",
        "pages.TransparencyPage",
        "pages.PowerListPage",
    ]
    parent_page_types = ["wagtailcore.Page"]
    template = "pages/village_home_page.html"

    objects = VillageHomePageManager()

    class Meta:
        verbose_name = _("村首页")

    def search_text(self):
        return f"{self.title} {self.intro} {stream_text(self.sections)}"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(home_context(self, request))
        return context

    def serve(self, request, *args, **kwargs):
        return saving_parts(super().serve(request, *args, **kwargs))


class StandardPage(SearchableMixin, Page):
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("普通页面")

    def search_text(self):
        return f"{self.title} {stream_text(self.body)}"


class MoralModelIndexPage(SearchableMixin, Page):
    intro = models.TextField(_("简介"), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["pages.MoralModelPage"]
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("道德模范栏目")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        models_qs = (
            MoralModelPage.objects.live()
            .child_of(self)
            .select_related("portrait")
            .prefetch_related("portrait__renditions")
            .order_by("-year", "title")
        )
        category = request.GET.get("category")
        if category in dict(MoralCategory.choices):
            models_qs = models_qs.filter(category=category)
        else:
            category = ""
        context["models"] = models_qs  # read only when the fragment is not cached
        context["categories"] = MoralCategory.choices
        context["category"] = category
        # The same for everyone, whatever the date: no user and no date in the key.
        context["parts"] = PageFragments(
            village_id_of(self),
            None,
            shared={"models": f"{part_name('moral-models', self, request)}:{category}"},
            own={},
        )
        return context

    def serve(self, request, *args, **kwargs):
        return saving_parts(super().serve(request, *args, **kwargs))


class MoralCategory(models.TextChoices):
    MORAL_MODEL = "moral_model", _("道德模范")
    PARTY_MEMBER = "party_member", _("最美党员")
    GOOD_DAUGHTER_IN_LAW = "good_daughter_in_law", _("好媳妇")
    VILLAGE_WORTHY = "village_worthy", _("乡贤")
    VOLUNTEER = "volunteer", _("志愿者")


class MoralModelPage(SearchableMixin, Page):
    category = models.CharField(_("类别"), max_length=30, choices=MoralCategory.choices)
    year = models.PositiveSmallIntegerField(_("评选年份"))
    headline = models.CharField(_("事迹摘要"), max_length=200, blank=True)
    portrait = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("照片"),
    )
    story = RichTextField(_("事迹"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("category"),
        FieldPanel("year"),
        FieldPanel("headline"),
        FieldPanel("portrait"),
        FieldPanel("story"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    parent_page_types = ["pages.MoralModelIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("道德模范")

    def search_text(self):
        return f"{self.title} {self.headline} {self.story}"


class TransparencyPage(SearchableMixin, Page):
    """村务公开栏: what the apps publish, by period and kind — read from the registry."""

    intro = models.TextField(_("简介"), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types: list[str] = []
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("村务公开栏")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(transparency_context(self, request))
        return context


class PowerListPage(SearchableMixin, Page):
    intro = models.TextField(_("简介"), blank=True)
    powers = StreamField([("power", PowerBlock())], verbose_name=_("权力事项"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("powers")]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    subpage_types: list[str] = []
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("小微权力清单")

    def search_text(self):
        return f"{self.title} {self.intro} {stream_text(self.powers)}"


class TodoVisit(models.Model):
    """When a user last opened "我的待办": what changed since then is marked new. One row per
    user, moved forward on each visit (a login session keeps the mark it began with)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="todo_visit"
    )
    seen_at = models.DateTimeField(_("上次查看"))

    class Meta:
        verbose_name = _("待办查看记录")
        verbose_name_plural = _("待办查看记录")

    def __str__(self):
        return f"{self.user_id}:{self.seen_at:%Y-%m-%d %H:%M}"


# --- page contexts -------------------------------------------------------------------------


def site_links(home: VillageHomePage, home_url: str) -> dict:
    """URLs of the village's sections, from one query (no per-type `specific` loads)."""
    types = {
        ContentType.objects.get_for_model(model).pk: key
        for key, model in (
            ("rules", RulesPage),
            ("powers", PowerListPage),
            ("moral_models", MoralModelIndexPage),
            ("notices", NoticeIndexPage),
            ("transparency", TransparencyPage),
        )
    }
    urls = dict.fromkeys(types.values())
    for child in (
        Page.objects.child_of(home)
        .live()
        .filter(content_type_id__in=list(types))
        .order_by("path")
        .values("content_type_id", "slug")
    ):
        key = types[child["content_type_id"]]
        if urls[key] is None:
            urls[key] = f"{home_url}{child['slug']}/"
    for key, name in (
        ("matters", "deliberation:list"),
        ("suggestions", "deliberation:suggestions"),
        ("me", "village:me"),
    ):
        urls[key] = reverse(name)
    # 党员亮身份: the village core's public board of its party members and cadres.
    urls["party_board"] = reverse("village:party_board", args=[home.village.code])
    # 随手拍: this month's events of each area by status (counts only; signed-in readers).
    urls["events"] = reverse("gridwork:event_summary", args=[home.village_id])
    return urls


class HomeBoard:
    """What the village home lists for one user. Each part is read only when the page's
    fragment is not in the cache (see pages/fragments.py)."""

    SHOWN = ("title", "url_path", "publish_on", "category", "urgency")

    def __init__(self, home: VillageHomePage, user):
        self.home, self.user = home, user

    @cached_property
    def notices(self) -> list[NoticePage]:
        if self.user.is_authenticated:
            qs = notices_for(
                self.user,
                self.home,
                villager=permissions.villager_of(self.user),
                village=self.home.village,
            )
        else:
            qs = public_notices(self.home)
        # What the list shows of each (a notice's URL is from its `url_path`).
        return list(qs.only(*self.SHOWN)[:8])

    @cached_property
    def unread_count(self) -> int:
        return sum(1 for n in self.notices if n.is_read is False)

    @cached_property
    def open_votes(self) -> list:
        """The village's matters being voted on, if the user may see them. Who may see a
        matter depends on its village and status alone (`may_see`), the same for every matter
        being voted on in one village: one plain query, and no list of visible villages."""
        from deliberation.models import Matter, MatterStatus
        from deliberation.selectors import may_see

        if not self.user.is_authenticated:
            return []
        village = self.home.village
        voting = list(
            Matter.objects.filter(village=village, status=MatterStatus.VOTING)
            .only("pk", "title", "status", "frozen_at", "village_id")
            .order_by("-created_at", "-id")[:5]
        )
        for matter in voting:
            matter.village = village  # what `may_see` asks about, without a query
        return [matter for matter in voting if may_see(self.user, matter)]


def home_context(home: VillageHomePage, request) -> dict:
    """The village home's context: the board for this user, the shared section links, and the
    page's parts in the cache (`{% fragment %}`)."""
    home_url = home.get_url(request) or "/"
    parts = PageFragments(
        home.village_id,
        request.user,
        # The same for everyone, and nothing dated (kept across midnight): the search box, the
        # 一核五治 sections and the section links (keyed on the home's URL too: a preview
        # computes them from the draft's slug).
        shared={
            "search": part_name("village-home-search", home, request),
            "sections": part_name("village-home-sections", home, request),
            "links": f"{part_name('village-home-links', home, request)}:{home_url}",
        },
        # The user's own: notices to them with read marks, votes open to them.
        own={"mine": part_name("village-home-mine", home, request)},
    )
    return {
        "board": HomeBoard(home, request.user),
        "links": SimpleLazyObject(lambda: parts.value("links", lambda: site_links(home, home_url))),
        "parts": parts,
    }


def transparency_context(page: TransparencyPage, request) -> dict:
    """The village-affairs board's context: what the apps published, by month and kind."""
    home = VillageHomePage.objects.ancestor_of(page).first()
    items = publications.items_for(home.village) if home else []
    kind = request.GET.get("kind") or ""
    period = request.GET.get("period") or ""
    periods = sorted(
        {timezone.localtime(i.published_at).strftime("%Y-%m") for i in items}, reverse=True
    )
    if kind:
        items = [i for i in items if i.kind == kind]
    if period:
        items = [i for i in items if timezone.localtime(i.published_at).strftime("%Y-%m") == period]
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(timezone.localtime(item.published_at).strftime("%Y-%m"), []).append(item)
    return {
        "groups": sorted(groups.items(), reverse=True),
        "kinds": [(k, v.label) for k, v in publications.KINDS.items()],
        "kind": kind,
        "periods": periods,
        "period": period,
    }
