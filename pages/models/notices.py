"""Notices (通知公告) with their audience and read receipts (已读): who a notice reaches, who may
read it, and a villager's notices with their read state."""

from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from village import permissions
from village.models import (
    Grid,
    GridLevel,
    Household,
    PartyMembership,
    Village,
    Villager,
    VillagerStatus,
    proxy_field,
)
from village.naming import sort_grid_choices

from ..cache import PageFragments
from .base import SearchableMixin, part_name, saving_parts, village_id_of, village_of_page


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
        context = super().get_context(request, *args, **kwargs)
        context.update(notice_index_context(self, request))
        return context

    def serve(self, request, *args, **kwargs):
        return saving_parts(super().serve(request, *args, **kwargs))


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
        anchor = self.instance if self.instance.pk else self.parent_page
        village = village_of_page(anchor) if anchor is not None and anchor.path else None
        field = self.fields["grids"]
        field.queryset = (
            field.queryset.filter(village=village).select_related("parent")
            if village is not None
            else field.queryset.none()
        )
        sort_grid_choices(field)

    def clean(self):
        cleaned = super().clean()
        questions = self.formsets.get("questions") if hasattr(self, "formsets") else None
        if (
            questions is not None
            and self.instance.pk
            and questions.has_changed()
            and self.instance.household_answers.exists()
        ):
            # The answers keep the words they answered; a changed question would show them
            # under other words in the tally and the export.
            raise ValidationError(
                _("已有户回答了这些问题，问题不能再修改或删除；可以另发一条通知。")
            )
        return cleaned


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
    reach_hours = models.PositiveSmallIntegerField(
        _("送达时限（小时）"),
        default=24,
        help_text=_(
            "发布后超过这个时长仍未阅读、也未被告知的户，列入片区网格员的走访名单；"
            "再过同样时长，列入书记的待办。"
        ),
    )
    body = RichTextField(_("正文"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldPanel("urgency"),
                FieldPanel("publish_on"),
                FieldPanel("expires_on"),
                FieldPanel("reach_hours"),
            ],
            heading=_("类别与日期"),
        ),
        MultiFieldPanel([FieldPanel("audience"), FieldPanel("grids")], heading=_("发送范围")),
        FieldPanel("body"),
        InlinePanel(
            "questions",
            label=_("户情问题"),
            heading=_("户情收集（可选，最多十题；每户回答一次）"),
            max_num=10,
        ),
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
        """The notice to whoever may read it (a notice to everyone is public), with its 已读
        state and the buttons to confirm it or to see who has not."""
        village = village_of_page(self)
        if not may_read(request.user, self, village):
            if self.audience == Audience.EVERYONE:
                pass  # notices to everyone are public
            elif not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            else:
                raise Http404
        villager, proxy = addressed_reader(request.user, self, village) if village else (None, None)
        read = answered = None
        questions = []
        if villager is not None:
            read = NoticeRead.objects.filter(notice=self, villager=villager).first()
            # 户情收集: the questions, and whether the household has answered them.
            questions = list(self.questions.all())
            if questions:
                answered = self.household_answers.filter(household_id=villager.household_id)
                answered = answered.first()
        return TemplateResponse(
            request,
            "pages/notice_page.html",
            {
                "page": self,
                "self": self,
                "read": read,
                "proxy": proxy,
                "can_confirm": villager is not None and read is None,
                "questions": questions,
                "answered": answered,
                "can_report": village is not None
                and permissions.can(request.user, permissions.Action.VIEW_ROSTER, village),
            },
        )


class NoticeRead(models.Model):
    """A villager confirmed reading a notice (已读); the household counts as reached."""

    notice = models.ForeignKey(NoticePage, on_delete=models.PROTECT, related_name="reads")
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)
    # Set when a 亲情账号 acted in the household's name (`villager` is then the head).
    proxy = proxy_field()

    class Meta:
        verbose_name = _("已读回执")
        verbose_name_plural = _("已读回执")
        constraints = [
            models.UniqueConstraint(fields=["notice", "villager"], name="notice_read_once")
        ]
        indexes = [models.Index(fields=["notice", "household"], name="notice_read_household")]

    def __str__(self):
        return f"{self.notice_id}:{self.villager_id}"


class ToldChannel(models.TextChoices):
    IN_PERSON = "in_person", _("当面告知")
    PHONE = "phone", _("电话告知")
    LOUDSPEAKER = "loudspeaker", _("大喇叭")
    WECHAT_GROUP = "wechat_group", _("微信群")


class NoticeTold(models.Model):
    """A household told of a notice by a person (已当面告知, 电话告知, 大喇叭已播, 微信群): who
    recorded it and when. Once per household and channel; never changed or removed."""

    notice = models.ForeignKey(NoticePage, on_delete=models.PROTECT, related_name="told")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("告知方式"), max_length=20, choices=ToldChannel.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("告知记录")
        verbose_name_plural = _("告知记录")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "household", "channel"], name="notice_told_once"
            )
        ]

    def __str__(self):
        return f"{self.notice_id}:{self.household_id}:{self.channel}"


# --- who a notice reaches, and a villager's notices ------------------------------------------


def reach_started_at(notice: NoticePage) -> datetime:
    """When the notice's reach window began: its publication, or the start of its date when it
    was entered after that date (a paper notice put online later) or dated ahead."""
    published = notice.first_published_at or timezone.now()
    day = timezone.make_aware(datetime.combine(notice.publish_on, time(0)))
    if timezone.localdate(published) > notice.publish_on:
        return day
    return max(published, day)


def reach_due_at(notice: NoticePage, windows: int = 1) -> datetime:
    """The end of the notice's first (or `windows`-th) reach window: households not reached by
    then go to their officer's visit list (first), then to the secretary's (second)."""
    return reach_started_at(notice) + timedelta(hours=notice.reach_hours * windows)


def area_ids(notice: NoticePage) -> set[int]:
    """The areas a notice addresses: chosen areas, and every area of a chosen large grid."""
    chosen = list(notice.grids.all())
    ids = {g.pk for g in chosen if g.level == GridLevel.AREA}
    large = [g.pk for g in chosen if g.level == GridLevel.LARGE]
    if large:
        ids |= set(Grid.objects.filter(parent_id__in=large).values_list("pk", flat=True))
    return ids


def in_audience(notice: NoticePage, villager: Villager | None, today: date | None = None) -> bool:
    """Whether the notice is addressed to `villager` (a registered villager) on `today`."""
    if villager is None or villager.status != VillagerStatus.REGISTERED:
        return False
    if notice.audience == Audience.EVERYONE:
        return True
    if notice.audience == Audience.GRIDS:
        return villager.household.area_id in area_ids(notice)
    if notice.audience == Audience.PARTY:
        return villager.party_membership in (PartyMembership.FULL, PartyMembership.PROBATIONARY)
    return villager.is_representative_on(today or timezone.localdate())


def may_read(user, notice: NoticePage, village: Village | None = None) -> bool:
    """Everyone in the audience; the village's cadres, grid officers and inspectors always."""
    village = village or village_of_page(notice)
    if village is None:
        return False
    if permissions.can(user, permissions.Action.VIEW_ROSTER, village):
        return True
    return addressed_reader(user, notice, village)[0] is not None


def addressed_reader(user, notice: NoticePage, village: Village):
    """(villager, proxy) who reads `notice` as addressed to them: a villager of its audience, or
    a 亲情账号 in its household's name — for notices to households (everyone, areas) only: a
    notice to party members or representatives is for the person. (None, None) otherwise."""
    villager, proxy = permissions.in_name_of(user, village)
    if villager is None:
        return None, None
    if proxy is not None and notice.audience not in (Audience.EVERYONE, Audience.GRIDS):
        return None, None
    return (villager, proxy) if in_audience(notice, villager) else (None, None)


def open_to_everyone(notice: NoticePage) -> bool:
    """A notice to everyone as the web serves it: no view restriction on it or above it, and
    every page above it live."""
    if notice.audience != Audience.EVERYONE:
        return False
    if not NoticePage.objects.filter(pk=notice.pk).public().exists():
        return False
    return not Page.objects.ancestor_of(notice).filter(depth__gt=1, live=False).exists()


def audience_filter(villager: Villager, today: date) -> Q:
    """The notices whose audience includes `villager`, as a query."""
    area = villager.household.area
    condition = Q(audience=Audience.EVERYONE) | Q(
        audience=Audience.GRIDS, grids__in=[area.pk, area.parent_id]
    )
    if villager.party_membership in (PartyMembership.FULL, PartyMembership.PROBATIONARY):
        condition |= Q(audience=Audience.PARTY)
    if villager.is_representative_on(today):
        condition |= Q(audience=Audience.REPRESENTATIVES)
    return condition


def current_notices(root) -> QuerySet[NoticePage]:
    """The live notices under `root` not yet expired, newest first."""
    today = timezone.localdate()
    return (
        NoticePage.objects.live()
        .descendant_of(root)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by("-publish_on", "-first_published_at", "-id")
    )


def notices_for(
    user, root, *, include_expired=False, villager=None, village=None
) -> QuerySet[NoticePage]:
    """The notices under `root` this user may read, unread first then newest, with `is_read`.
    A 亲情账号 reads those of its household's head that are to households (everyone, areas)."""
    qs = NoticePage.objects.live().descendant_of(root) if include_expired else current_notices(root)
    village = village or village_of_page(root)
    proxy = None
    if villager is None and village is not None:
        villager, proxy = permissions.in_name_of(user, village)
    staff = village is not None and permissions.can(user, permissions.Action.VIEW_ROSTER, village)
    if not staff:
        if (
            villager is None
            or village is None
            or villager.village_id != village.pk
            or villager.status != VillagerStatus.REGISTERED
        ):
            # Not theirs to confirm, but what anyone may read stays visible when signed in.
            return qs.filter(audience=Audience.EVERYONE).annotate(
                is_read=Value(None, output_field=BooleanField())
            )
        qs = qs.filter(audience_filter(villager, timezone.localdate())).distinct()
        if proxy is not None:
            qs = qs.filter(audience__in=[Audience.EVERYONE, Audience.GRIDS])
    read = NoticeRead.objects.filter(notice=OuterRef("pk"), villager=villager)
    return qs.annotate(is_read=Exists(read)).order_by(
        "is_read", "-publish_on", "-first_published_at", "-id"
    )


def public_notices(root) -> QuerySet[NoticePage]:
    """What anyone may read without logging in: notices to everyone (no read state)."""
    return (
        current_notices(root)
        .filter(audience=Audience.EVERYONE)
        .annotate(is_read=Value(None, output_field=BooleanField()))
    )


class NoticeBoard:
    """The notice index for one user and category, read only on a cache miss."""

    def __init__(self, index: NoticeIndexPage, user, category: str):
        self.index, self.user, self.category = index, user, category

    @cached_property
    def notices(self) -> list[NoticePage]:
        if self.user.is_authenticated:
            notices = notices_for(
                self.user,
                self.index,
                villager=permissions.villager_of(self.user),
                village=village_of_page(self.index),
            )
        else:
            notices = public_notices(self.index)
        if self.category:
            notices = notices.filter(category=self.category)
        return list(notices[:100])


def notice_index_context(index: NoticeIndexPage, request) -> dict:
    """The notice index's context: the board for this user and category, and its fragment key."""
    category = request.GET.get("category")
    if category not in NoticeCategory.values:
        category = ""
    return {
        "board": NoticeBoard(index, request.user, category),
        "category": category,
        "parts": PageFragments(
            village_id_of(index),
            request.user,
            shared={},
            own={"notices": f"{part_name('notice-index', index, request)}:{category}"},
        ),
    }
