"""Wagtail pages of a village's site: home (一核五治), rules, moral models, notices with read
receipts, the village-affairs board and the power list. Each village's pages live under its own
VillageHomePage; editors of one village can edit only that subtree."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from village.models import Grid, Household, Village, Villager
from village.naming import sort_grid_choices

from .blocks import BodyBlock, ChapterBlock, GovernanceSectionBlock, PowerBlock
from .search import bigrams


class SearchableMixin:
    """Chinese has no spaces: index overlapping two-character pieces so a partial word
    (烟花 in 严禁燃放烟花爆竹) is found by the database search backends."""

    def search_text(self) -> str:
        return self.title

    def search_bigrams(self) -> str:
        return bigrams(self.search_text())


def _stream_text(value) -> str:
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
        return f"{self.title} {self.intro} {_stream_text(self.sections)}"

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.home_context(self, request.user))
        return context


class StandardPage(SearchableMixin, Page):
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("普通页面")

    def search_text(self):
        return f"{self.title} {_stream_text(self.body)}"


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
        return f"{self.title} {self.preamble} {_stream_text(self.chapters)}"

    def serve(self, request, *args, **kwargs):
        from .views import rules_serve

        return rules_serve(self, request)


class MoralModelIndexPage(SearchableMixin, Page):
    intro = models.TextField(_("简介"), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["pages.MoralModelPage"]
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("道德模范栏目")

    def get_context(self, request, *args, **kwargs):
        from . import fragments

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
        # The same for everyone: no user in the key.
        context["fragment_key"] = fragments.fragment_key(fragments.village_id_of(self), None)
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


class NoticeCategory(models.TextChoices):
    AFFAIRS = "affairs", _("村务")
    PARTY = "party", _("党务")
    SAFETY = "safety", _("安全")
    SERVICE = "service", _("便民服务")
    POLICY = "policy", _("政策宣传")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    IMPORTANT = "important", _("重要")
    URGENT = "urgent", _("紧急")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("全体村民")
    GRIDS = "grids", _("指定网格或片区")
    PARTY = "party", _("党员")
    REPRESENTATIVES = "representatives", _("村民代表")


class NoticeIndexPage(SearchableMixin, Page):
    intro = models.TextField(_("简介"), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["pages.NoticePage"]
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("通知公告栏目")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.notice_index_context(self, request))
        return context


class NoticePageForm(WagtailAdminPageForm):
    """Offer only the grids and areas of the village whose site holds the notice: another
    village's grid names are not this editor's to see, and a notice cannot reach them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "audience" in self.fields and not self.instance.pk:
            # Whom a new notice reaches is chosen, never defaulted to the whole village.
            audience = self.fields["audience"]
            audience.choices = [("", _("请选择")), *Audience.choices]
            audience.initial = None
            self.initial.pop("audience", None)
        if "grids" not in self.fields:
            return
        from .selectors import village_of_page

        anchor = self.instance if self.instance.pk else self.parent_page
        village = village_of_page(anchor) if anchor is not None and anchor.path else None
        field = self.fields["grids"]
        field.queryset = (
            field.queryset.filter(village=village).select_related("parent")
            if village is not None
            else field.queryset.none()
        )
        sort_grid_choices(field)


class NoticePage(SearchableMixin, Page):
    category = models.CharField(
        _("类别"), max_length=20, choices=NoticeCategory.choices, default=NoticeCategory.AFFAIRS
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    audience = models.CharField(
        _("发送范围"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    grids = ParentalManyToManyField(
        Grid,
        blank=True,
        related_name="notices",
        verbose_name=_("网格或片区"),
        help_text=_("发送范围为“指定网格或片区”时选择；选大网格即包括其全部片区。"),
    )
    publish_on = models.DateField(_("发布日期"), default=timezone.localdate)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    body = RichTextField(_("正文"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldPanel("urgency"),
                FieldPanel("publish_on"),
                FieldPanel("expires_on"),
            ],
            heading=_("类别与日期"),
        ),
        MultiFieldPanel([FieldPanel("audience"), FieldPanel("grids")], heading=_("发送范围")),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("search_bigrams")]
    base_form_class = NoticePageForm
    parent_page_types = ["pages.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("通知公告")

    def search_text(self):
        return f"{self.title} {self.body}"

    def clean(self):
        super().clean()
        if self.expires_on and self.publish_on and self.expires_on < self.publish_on:
            raise ValidationError({"expires_on": _("有效期不能早于发布日期。")})

    def serve(self, request, *args, **kwargs):
        from .views import notice_serve

        return notice_serve(self, request)


class NoticeRead(models.Model):
    """A villager confirmed reading a notice (已读); the household counts as reached."""

    notice = models.ForeignKey(NoticePage, on_delete=models.PROTECT, related_name="reads")
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已读回执")
        verbose_name_plural = _("已读回执")
        constraints = [
            models.UniqueConstraint(fields=["notice", "villager"], name="notice_read_once")
        ]
        indexes = [models.Index(fields=["notice", "household"], name="notice_read_household")]

    def __str__(self):
        return f"{self.notice_id}:{self.villager_id}"


class TransparencyPage(SearchableMixin, Page):
    """村务公开栏: what the apps publish, by period and kind — read from the registry."""

    intro = models.TextField(_("简介"), blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types: list[str] = []
    parent_page_types = ["pages.VillageHomePage"]

    class Meta:
        verbose_name = _("村务公开栏")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.transparency_context(self, request))
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
        return f"{self.title} {self.intro} {_stream_text(self.powers)}"


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
