"""随手拍: a grid event a villager reports, assigned by area to its grid officer, with a
deadline from the rule set, escalated to the secretary and then the township when late, and a
step trail that is never changed or deleted (migration 0001's guards)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from village.models import Grid, Village, Villager


class EventCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("环境卫生")
    FACILITY = "facility", _("道路路灯水电")
    SAFETY = "safety", _("安全隐患")
    DISPUTE = "dispute", _("邻里纠纷")
    HELP = "help", _("困难求助")
    OTHER = "other", _("其他")


# A safety hazard is urgent whatever the reporter ticks (the rule set's shorter deadline).
URGENT_CATEGORIES = frozenset({EventCategory.SAFETY})


class EventStatus(models.TextChoices):
    REPORTED = "reported", _("待受理")
    ACCEPTED = "accepted", _("办理中")
    HANDLED = "handled", _("已办结，待评价")
    CONFIRMED = "confirmed", _("已评价")


OPEN_STATUSES = (EventStatus.REPORTED, EventStatus.ACCEPTED)


class GridEvent(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="grid_events", verbose_name=_("村")
    )
    area = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="events", verbose_name=_("片区")
    )
    category = models.CharField(_("类别"), max_length=12, choices=EventCategory.choices)
    urgent = models.BooleanField(_("紧急"), default=False)
    text = models.CharField(_("情况说明"), max_length=500)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    photo = models.ImageField(_("照片"), upload_to="grid/events/reported/%Y/%m/", blank=True)
    # The villager it is about and who is told and rates (none when an officer notes it himself).
    reporter = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_events",
        verbose_name=_("上报村民"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
    )
    reported_at = models.DateTimeField(_("上报时间"), default=now)
    # Recorded on a phone without signal at this device time (grid/offline).
    offline_at = models.DateTimeField(_("离线记录于"), null=True, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办网格员"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=EventStatus.choices, default=EventStatus.REPORTED
    )
    due_at = models.DateTimeField(_("办理时限"))
    township_at = models.DateTimeField(_("逾期报乡镇时间"))
    # Escalations already written to the chain: 0 none, 1 the secretary, 2 the township.
    escalated = models.PositiveSmallIntegerField(_("已上报层级"), default=0)
    handled_note = models.CharField(_("办理情况"), max_length=500, blank=True)
    after_photo = models.ImageField(
        _("办理后照片"), upload_to="grid/events/handled/%Y/%m/", blank=True
    )
    handled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_note = models.CharField(_("评价意见"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    suggestion = models.ForeignKey(
        "deliberation.Suggestion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_events",
        verbose_name=_("关联村民说事"),
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("网格事件")
        verbose_name_plural = _("网格事件")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["village", "status", "due_at"], name="gridevent_village_due"),
            models.Index(fields=["area", "reported_at"], name="gridevent_area_month"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="gridevent_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(township_at__gte=models.F("due_at")),
                name="gridevent_township_after_due",
            ),
            models.CheckConstraint(condition=Q(escalated__lte=2), name="gridevent_escalated_level"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} · {self.text[:20]}"

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def level_at(self, moment) -> int:
        """Who must see this event now: 0 its officer, 1 also the secretary (past its deadline),
        2 also the township (past the second deadline). Read from the deadlines, so the homes
        are right even before the escalation task has written it to the chain."""
        if not self.is_open() or moment < self.due_at:
            return 0
        return 1 if moment < self.township_at else 2


class StepKind(models.TextChoices):
    REPORT = "report", _("上报")
    ACCEPT = "accept", _("受理")
    HANDLE = "handle", _("办结")
    CONFIRM = "confirm", _("评价")
    REOPEN = "reopen", _("重新办理")
    ESCALATE = "escalate", _("逾期上报")
    REASSIGN = "reassign", _("改派")
    LINK = "link", _("关联说事")
    REWARD = "reward", _("建议积分")


class EventStep(models.Model):
    """One step of an event's trail, as the villager and the inspector read it."""

    event = models.ForeignKey(
        GridEvent, on_delete=models.PROTECT, related_name="steps", verbose_name=_("事件")
    )
    kind = models.CharField(_("环节"), max_length=10, choices=StepKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理人"),
    )
    at = models.DateTimeField(_("时间"), default=now)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("事件办理环节")
        verbose_name_plural = _("事件办理环节")
        ordering = ["event", "at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"
