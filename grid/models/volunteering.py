"""志愿服务: a volunteer activity the village posts (文明实践站), villagers' sign-ups, the
organiser's check-ins at the site, the hours credited to each volunteer when the activity
closes, and the 志愿服务 points entry proposed to each household. Check-ins, hours and
proposals are kept as made and nothing here is deleted (migration 0002's guards)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from village.models import Household, Village, Villager

# Hours credited to one person never exceed the activity's length by more than this (the
# organiser's correction for someone who stayed to finish), and an activity lasts a day at most.
HOURS_MARGIN_MINUTES = 60
MAX_ACTIVITY_MINUTES = 24 * 60


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("报名中")
    CLOSED = "closed", _("已结束")


class VolunteerActivity(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="volunteer_activities", verbose_name=_("村")
    )
    title = models.CharField(_("活动名称"), max_length=100)
    place = models.CharField(_("地点"), max_length=100)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("名额"))
    # The 文明实践站's organiser: checks volunteers in and closes the activity.
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("组织人"),
    )
    # The 志愿服务 rule of the village's catalogue each household's proposal is made under.
    rule = models.ForeignKey(
        "points.Rule", on_delete=models.PROTECT, related_name="+", verbose_name=_("积分规则")
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(_("发布时间"), default=now)
    closed_at = models.DateTimeField(_("结束登记时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("结束登记人"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["village", "starts_at"], name="volunteer_village_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="volunteer_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="volunteer_capacity_min"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False),
                name="volunteer_closed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.title}（{self.starts_at:%Y-%m-%d}）"

    @property
    def minutes(self) -> int:
        """The activity's length in whole minutes: each volunteer's hours unless corrected."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def max_minutes(self) -> int:
        return self.minutes + HOURS_MARGIN_MINUTES

    def is_open(self) -> bool:
        return self.status == ActivityStatus.OPEN


class SignupStatus(models.TextChoices):
    SIGNED = "signed", _("已报名")
    WITHDRAWN = "withdrawn", _("已取消报名")


class VolunteerSignup(models.Model):
    """One villager's place on an activity; withdrawn and signed again on the same row."""

    activity = models.ForeignKey(
        VolunteerActivity, on_delete=models.PROTECT, related_name="signups", verbose_name=_("活动")
    )
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="volunteer_signups", verbose_name=_("村民")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SignupStatus.choices, default=SignupStatus.SIGNED
    )
    signed_at = models.DateTimeField(_("报名时间"), default=now)
    withdrawn_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("志愿服务报名")
        verbose_name_plural = _("志愿服务报名")
        ordering = ["activity", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "villager"], name="volunteer_signup_once")
        ]

    def __str__(self):
        return f"{self.villager_id} · {self.get_status_display()}"


class CheckinMethod(models.TextChoices):
    PHONE = "phone", _("扫村民手机码")
    CARD = "card", _("扫户积分卡")
    LIST = "list", _("名单勾选")


class VolunteerAttendance(models.Model):
    """A volunteer checked in at the site by the organiser (kept as made)."""

    activity = models.ForeignKey(
        VolunteerActivity,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("活动"),
    )
    villager = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        related_name="volunteer_attendances",
        verbose_name=_("村民"),
    )
    # The household the volunteer belonged to on the day: its points proposal.
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("户")
    )
    method = models.CharField(_("签到方式"), max_length=6, choices=CheckinMethod.choices)
    walk_in = models.BooleanField(_("未报名现场参加"), default=False)
    checked_in_at = models.DateTimeField(_("签到时间"), default=now)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签到人"),
    )

    class Meta:
        verbose_name = _("志愿服务签到")
        verbose_name_plural = _("志愿服务签到")
        ordering = ["activity", "checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "villager"], name="volunteer_checkin_once")
        ]

    def __str__(self):
        return f"{self.villager_id} · {self.checked_in_at:%H:%M}"


class VolunteerHours(models.Model):
    """The hours credited to one volunteer of an activity, as the organiser closed it."""

    attendance = models.OneToOneField(
        VolunteerAttendance, on_delete=models.PROTECT, related_name="hours", verbose_name=_("签到")
    )
    activity = models.ForeignKey(
        VolunteerActivity, on_delete=models.PROTECT, related_name="hours", verbose_name=_("活动")
    )
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="volunteer_hours", verbose_name=_("村民")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="volunteer_hours", verbose_name=_("户")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    minutes = models.PositiveIntegerField(_("时长（分钟）"))
    # Set when the organiser credited other than the activity's length, saying why.
    correction = models.CharField(_("调整原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=now)

    class Meta:
        verbose_name = _("志愿服务时长")
        verbose_name_plural = _("志愿服务时长")
        ordering = ["activity", "id"]
        indexes = [models.Index(fields=["household", "year"], name="volunteer_hours_year")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__lte=MAX_ACTIVITY_MINUTES + HOURS_MARGIN_MINUTES),
                name="volunteer_hours_sane",
            ),
        ]

    def __str__(self):
        return f"{self.villager_id} · {self.minutes} min"

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


class VolunteerProposal(models.Model):
    """The 志愿服务 points entry proposed to one household for an activity (the entry waits for
    the committee's review), or why none could be (e.g. the rule's yearly cap reached)."""

    activity = models.ForeignKey(
        VolunteerActivity,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("活动"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("户")
    )
    minutes = models.PositiveIntegerField(_("本户时长（分钟）"))
    entry = models.ForeignKey(
        "points.Entry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("建议的积分"),
    )
    refused = models.CharField(_("未能建议的原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("志愿服务积分建议")
        verbose_name_plural = _("志愿服务积分建议")
        ordering = ["activity", "household", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "household"], name="volunteer_proposal_once"
            ),
            models.CheckConstraint(
                condition=Q(entry__isnull=False) | ~Q(refused=""),
                name="volunteer_proposal_entry_or_reason",
            ),
        ]

    def __str__(self):
        return f"{self.activity_id} · {self.household_id}"
