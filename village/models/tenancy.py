"""Tenancy: townships, villages and each village's rule set with its thresholds."""

import re
from datetime import date, time
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import statute

# ---------------------------------------------------------------------------
# Township and village
# ---------------------------------------------------------------------------


class Township(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("代码"), max_length=50, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Village(models.Model):
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("乡镇")
    )
    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("代码"), max_length=50, unique=True)
    seal_number = models.CharField(_("印章编号"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["township__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="village_unique_name")
        ]

    def __str__(self):
        return self.name

    @property
    def rules(self) -> "RuleSet | None":
        """The rule set in force today."""
        return self.rules_on(timezone.localdate())

    def rules_on(self, day) -> "RuleSet | None":
        """The version of the rule set in force on `day` (a meeting's date, a publication's
        day): the latest version effective on or before it; before the first version, the
        first. Read once per village object and day."""
        cache = self.__dict__.setdefault("_rules_on", {})
        if day not in cache:
            versions = self.__dict__.get("_rule_versions")
            if versions is None:
                versions = list(self.rule_versions.order_by("effective_from", "version"))
                self.__dict__["_rule_versions"] = versions
            in_force = [v for v in versions if v.effective_from <= day]
            cache[day] = in_force[-1] if in_force else (versions[0] if versions else None)
        return cache[day]

    def rule_version(self, number) -> "RuleSet | None":
        """Version `number` of the village's rule set (read with `rules_on`'s versions)."""
        self.rules_on(FIRST_EFFECTIVE)  # the versions, read once
        return next((v for v in self.__dict__["_rule_versions"] if v.version == number), None)

    def forget_rules(self) -> None:
        """After a new version: read the versions again."""
        self.__dict__.pop("_rules_on", None)
        self.__dict__.pop("_rule_versions", None)


THRESHOLD_RE = re.compile(r"^\s*(>=|≥|>)\s*(\d+)\s*/\s*(\d+)\s*$")


def validate_threshold(value: str) -> None:
    match = THRESHOLD_RE.match(value or "")
    if not match or int(match.group(3)) == 0 or int(match.group(2)) > int(match.group(3)):
        raise ValidationError(
            _("阈值格式应为“>1/2”（超过半数）或“>=2/3”（三分之二以上）。"), code="threshold"
        )


class Threshold:
    """A share rule such as "> 1/2" or "≥ 2/3", compared in integers only.

    民法典 Art. 1259: "以上" includes the number, "过半数/超过" does not.
    """

    def __init__(self, text: str):
        validate_threshold(text)
        op, num, den = THRESHOLD_RE.match(text).groups()
        self.inclusive = op in (">=", "≥")
        self.fraction = Fraction(int(num), int(den))
        self.text = text

    def met(self, count: int, total: int) -> bool:
        """Whether `count` out of `total` reaches the share. An empty body never passes."""
        if total <= 0:
            return False
        lhs = count * self.fraction.denominator
        rhs = self.fraction.numerator * total
        return lhs >= rhs if self.inclusive else lhs > rhs

    def minimum(self, total: int) -> int:
        """The smallest count that meets the share of `total`."""
        for count in range(total + 1):
            if self.met(count, total):
                return count
        return total + 1

    def __str__(self):
        sign = "≥" if self.inclusive else ">"
        return f"{sign} {self.fraction.numerator}/{self.fraction.denominator}"


class CarryOver(models.TextChoices):
    RESET = "reset", _("每年清零，重新发放基础分")
    CARRY = "carry", _("结余结转下一年")


# The legal or customary source of every default in the rule set; shown as help text and
# stored with each verdict by the apps that apply the rules.
RULE_SOURCES = {
    "branch_quorum": "《中国共产党支部工作条例（试行）》第十二条",
    "branch_pass": "《中国共产党支部工作条例（试行）》第十二条",
    "committees_quorum": "两委联席会议议事规则（地方惯例）",
    "committees_pass": "两委联席会议议事规则（地方惯例）",
    "party_quorum": "《中国共产党支部工作条例（试行）》第十一条（地方常定为三分之二以上）",
    "party_pass": "《中国共产党支部工作条例（试行）》第十一条",
    "villagers_quorum_people": "《村民委员会组织法》第二十二条",
    "villagers_quorum_households": "《村民委员会组织法》第二十二条",
    "villagers_pass": "《村民委员会组织法》第二十二条",
    "representatives_quorum": "《村民委员会组织法》第二十六条",
    "representatives_pass": "《村民委员会组织法》第二十六条",
    "online_voter_counts_present": "村民自治章程（本平台默认）",
    "allow_joint_branch_committees": "“一肩挑”村两委联席会议惯例",
    "resolution_publication_days": "《村民委员会组织法》第三十条",
    "result_publication_days": "《村民委员会组织法》第三十条",
    "adult_age": "《村民委员会组织法》第十三条（年满十八周岁）",
    "points_base": "村规民约·积分制管理办法",
    "points_carry_over": "村规民约·积分制管理办法",
    "points_objection_days": "村规民约·积分制管理办法（公示期）",
    "quiet_hours_start": "本平台默认：夜间不推送、不发短信（紧急通知除外）",
    "quiet_hours_end": "本平台默认：夜间不推送、不发短信（紧急通知除外）",
    "sms_monthly_limit": "村委会确定的短信预算（每月条数）",
    "event_hours": "网格化服务管理办法（本平台默认：一般事项 3 日内办结）",
    "event_urgent_hours": "网格化服务管理办法（本平台默认：安全隐患 24 小时内处置）",
    "event_township_hours": "网格化服务管理办法（本平台默认：逾期再过 3 日报乡镇）",
    "offline_max_days": "本平台默认：离线记录 7 日内须同步",
}


def _threshold_field(label, default, key):
    return models.CharField(
        label,
        max_length=12,
        default=default,
        validators=[validate_threshold],
        help_text=RULE_SOURCES[key],
    )


# The first version of every village's rule set is in force from before any record.
FIRST_EFFECTIVE = date(2000, 1, 1)


class RuleSet(models.Model):
    """One version of a village's thresholds and periods. Defaults follow the statute.

    A change is a new version with the day it takes effect (never before the day it is made);
    every meeting and publication is judged by the version in force on its date
    (`Village.rules_on`). Versions are never changed or deleted: the database refuses (village
    migration 0012), also `QuerySet.update`."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="rule_versions", verbose_name=_("村")
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    effective_from = models.DateField(
        _("生效日期"),
        default=FIRST_EFFECTIVE,
        help_text=_("这一版规则适用于这一天及以后召开的会议和开始的公开；不能早于今天。"),
    )
    reason = models.CharField(_("修改原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("制定时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    branch_quorum = _threshold_field(_("党支部提议：到会比例"), ">=1/2", "branch_quorum")
    branch_pass = _threshold_field(_("党支部提议：赞成占支委总数"), ">1/2", "branch_pass")
    committees_quorum = _threshold_field(_("两委商议：到会比例"), ">1/2", "committees_quorum")
    committees_pass = _threshold_field(_("两委商议：赞成占到会"), ">1/2", "committees_pass")
    party_quorum = _threshold_field(_("党员大会：到会比例"), ">=1/2", "party_quorum")
    party_pass = _threshold_field(_("党员大会：赞成占应到"), ">1/2", "party_pass")
    villagers_quorum_people = _threshold_field(
        _("村民会议：到会成年村民比例"), ">1/2", "villagers_quorum_people"
    )
    villagers_quorum_households = _threshold_field(
        _("村民会议：到会户代表比例"), ">=2/3", "villagers_quorum_households"
    )
    villagers_pass = _threshold_field(_("村民会议：赞成占到会"), ">1/2", "villagers_pass")
    representatives_quorum = _threshold_field(
        _("村民代表会议：到会比例"), ">=2/3", "representatives_quorum"
    )
    representatives_pass = _threshold_field(
        _("村民代表会议：赞成占到会"), ">1/2", "representatives_pass"
    )
    online_voter_counts_present = models.BooleanField(
        _("网上投票者计入到会"),
        default=True,
        help_text=RULE_SOURCES["online_voter_counts_present"],
    )
    allow_joint_branch_committees = models.BooleanField(
        _("一肩挑时党支部提议与两委商议可合并召开"),
        default=True,
        help_text=RULE_SOURCES["allow_joint_branch_committees"],
    )
    resolution_publication_days = models.PositiveSmallIntegerField(
        _("决议公开天数"), default=7, help_text=RULE_SOURCES["resolution_publication_days"]
    )
    result_publication_days = models.PositiveSmallIntegerField(
        _("实施结果公开天数"), default=3, help_text=RULE_SOURCES["result_publication_days"]
    )
    adult_age = models.PositiveSmallIntegerField(
        _("成年年龄"), default=18, help_text=RULE_SOURCES["adult_age"]
    )
    points_base = models.PositiveIntegerField(
        _("每户年度基础分"), default=100, help_text=RULE_SOURCES["points_base"]
    )
    points_carry_over = models.CharField(
        _("年度积分结转"),
        max_length=10,
        choices=CarryOver.choices,
        default=CarryOver.RESET,
        help_text=RULE_SOURCES["points_carry_over"],
    )
    points_objection_days = models.PositiveSmallIntegerField(
        _("积分公示异议期（天）"), default=5, help_text=RULE_SOURCES["points_objection_days"]
    )
    quiet_hours_start = models.TimeField(
        _("免打扰开始"), default=time(21, 0), help_text=RULE_SOURCES["quiet_hours_start"]
    )
    quiet_hours_end = models.TimeField(
        _("免打扰结束"), default=time(7, 0), help_text=RULE_SOURCES["quiet_hours_end"]
    )
    sms_monthly_limit = models.PositiveIntegerField(
        _("每月短信额度（条）"), default=2000, help_text=RULE_SOURCES["sms_monthly_limit"]
    )
    # 随手拍 (grid events): the officer's deadline, and how long past it before the township
    # sees it (before that the secretary does); offline records older than this are refused.
    event_hours = models.PositiveSmallIntegerField(
        _("网格事件办理时限（小时）"), default=72, help_text=RULE_SOURCES["event_hours"]
    )
    event_urgent_hours = models.PositiveSmallIntegerField(
        _("紧急（安全）事件办理时限（小时）"),
        default=24,
        help_text=RULE_SOURCES["event_urgent_hours"],
    )
    event_township_hours = models.PositiveSmallIntegerField(
        _("逾期多久报乡镇（小时）"), default=72, help_text=RULE_SOURCES["event_township_hours"]
    )
    offline_max_days = models.PositiveSmallIntegerField(
        _("离线记录最长保留（天）"), default=7, help_text=RULE_SOURCES["offline_max_days"]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("议事规则")
        verbose_name_plural = _("议事规则")
        ordering = ["village", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["village", "version"], name="ruleset_one_version"),
            models.CheckConstraint(
                condition=Q(adult_age__gte=18) & Q(adult_age__lte=21), name="ruleset_adult_age"
            ),
            models.CheckConstraint(
                condition=Q(resolution_publication_days__gte=1)
                & Q(result_publication_days__gte=1)
                & Q(points_objection_days__gte=1),
                name="ruleset_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(event_hours__gte=1)
                & Q(event_urgent_hours__gte=1)
                & Q(event_township_hours__gte=1)
                & Q(offline_max_days__gte=1),
                name="ruleset_event_hours_positive",
            ),
        ]

    def __str__(self):
        return _("%(village)s · 议事规则第 %(n)s 版（%(day)s 起）") % {
            "village": self.village,
            "n": self.version,
            "day": self.effective_from.isoformat(),
        }

    def clean(self):
        # Stricter than the statute is allowed, looser never (village/statute.py).
        errors = statute.violations(self)
        if errors:
            raise ValidationError(
                {key: ValidationError(text, code="below_statute") for key, text in errors.items()}
            )

    def threshold(self, key: str) -> Threshold:
        return Threshold(getattr(self, key))

    @staticmethod
    def source(key: str) -> str:
        return RULE_SOURCES[key]


def rule_versions_prefetch():
    """For a list of villages: every village's rule set versions in one query, as
    `Village.rules_on` reads them."""
    return models.Prefetch(
        "rule_versions",
        queryset=RuleSet.objects.order_by("effective_from", "version"),
        to_attr="_rule_versions",
    )
