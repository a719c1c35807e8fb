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
from wagtail.models import Page
from wagtail.search import index

from village import permissions, publications
from village.models import Village, Villager

from ..blocks import BodyBlock, GovernanceSectionBlock, PowerBlock
from ..cache import fragment_key, fragment_keys, fragment_timeout, remember
from .base import SearchableMixin, stream_text, village_id_of
from .notices import NoticeIndexPage, NoticePage, notices_for, public_notices
from .rules import RulesPage


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

    class Meta:
        verbose_name = _("村首页")

    def search_text(self):
        return f"{self.title} {self.intro} {stream_text(self.sections)}"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(home_context(self, request.user))
        return context


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
        context["fragment_key"] = fragment_key(village_id_of(self), None, dated=False)
        context["fragment_timeout"] = fragment_timeout(village_id_of(self))
        return context


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


def site_links(home: VillageHomePage) -> dict:
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
    home_url = home.url or "/"
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
    return urls


class HomeBoard:
    """What the village home lists for one user. Each part is read only when the page's
    fragment is not in the cache (see pages/fragments.py)."""

    def __init__(self, home: VillageHomePage, user):
        self.home, self.user = home, user

    @cached_property
    def villager(self) -> Villager | None:
        return permissions.villager_of(self.user)

    @cached_property
    def notices(self) -> list[NoticePage]:
        if self.user.is_authenticated:
            qs = notices_for(
                self.user, self.home, villager=self.villager, village=self.home.village
            )
        else:
            qs = public_notices(self.home)
        return list(qs[:8])

    @cached_property
    def unread_count(self) -> int:
        return sum(1 for n in self.notices if n.is_read is False)

    @cached_property
    def open_votes(self) -> list:
        from deliberation.selectors import matters_for

        if not self.user.is_authenticated:
            return []
        return list(matters_for(self.user, status="voting", village=self.home.village)[:5])

    @cached_property
    def links(self) -> dict:
        return site_links(self.home)


def home_context(home: VillageHomePage, user) -> dict:
    """The village home's context: the board for this user, the shared section links, and the
    fragment keys."""
    board = HomeBoard(home, user)
    # The shared parts show nothing dated: they do not change key at midnight.
    shared_key, own_key = fragment_keys(home.village_id, user)
    timeout = fragment_timeout(home.village_id)
    return {
        "board": board,
        # The same for everyone: the section links, the search box and the 一核五治 sections.
        # Keyed on the home's URL too: a preview computes links from the draft's slug.
        "links": SimpleLazyObject(
            lambda: remember(
                "links", f"{home.pk}:{home.url}:{shared_key}", lambda: board.links, timeout=timeout
            )
        ),
        "shared_key": shared_key,
        "fragment_key": own_key,
        "fragment_timeout": timeout,
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
