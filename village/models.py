"""The village core: townships, villages and their rule sets, grids, households, villagers,
dated role memberships, activation codes and the append-only audit chain."""

import re
from datetime import date
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import statute

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
}


def _threshold_field(label, default, key):
    return models.CharField(
        label,
        max_length=12,
        default=default,
        validators=[validate_threshold],
        help_text=RULE_SOURCES[key],
    )


class RuleSet(models.Model):
    """A village's thresholds and periods. Defaults follow the statute; a township admin edits."""

    village = models.OneToOneField(
        Village, on_delete=models.PROTECT, related_name="rules", verbose_name=_("村")
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
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("议事规则")
        verbose_name_plural = _("议事规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(adult_age__gte=18) & Q(adult_age__lte=21), name="ruleset_adult_age"
            ),
            models.CheckConstraint(
                condition=Q(resolution_publication_days__gte=1)
                & Q(result_publication_days__gte=1)
                & Q(points_objection_days__gte=1),
                name="ruleset_days_positive",
            ),
        ]

    def __str__(self):
        return f"{self.village} · {self._meta.verbose_name}"

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


# ---------------------------------------------------------------------------
# Grids, households, villagers
# ---------------------------------------------------------------------------


class GridLevel(models.TextChoices):
    LARGE = "large", _("大网格")
    AREA = "area", _("片区")


class Grid(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="grids", verbose_name=_("村")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="areas",
        verbose_name=_("所属大网格"),
    )
    level = models.CharField(_("层级"), max_length=10, choices=GridLevel.choices)
    name = models.CharField(_("名称"), max_length=60)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["village", "parent_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="grid_unique_name"),
            models.CheckConstraint(
                condition=(Q(level="large") & Q(parent__isnull=True))
                | (Q(level="area") & Q(parent__isnull=False)),
                name="grid_area_has_parent",
            ),
        ]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} · {self.name}"
        return self.name

    def clean(self):
        if self.parent_id and (
            self.parent.village_id != self.village_id or self.parent.level != GridLevel.LARGE
        ):
            raise ValidationError({"parent": _("片区必须属于本村的一个大网格。")})


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    MERGED = "merged", _("已合户")


class Household(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("村")
    )
    number = models.CharField(_("户号"), max_length=20)
    area = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("片区"),
        limit_choices_to={"level": GridLevel.AREA},
    )
    address = models.CharField(_("住址"), max_length=200, blank=True)
    head = models.ForeignKey(
        "Villager",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("户主"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("并入户"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["village", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="household_unique_number"),
            models.CheckConstraint(
                condition=Q(status="merged") | Q(merged_into__isnull=True),
                name="household_merged_into_only_when_merged",
            ),
        ]

    def __str__(self):
        return f"{self.number}"

    def clean(self):
        errors = {}
        if self.area_id and (
            self.area.village_id != self.village_id or self.area.level != GridLevel.AREA
        ):
            errors["area"] = _("请选择本村的一个片区。")
        if self.head_id and self.head.household_id != self.pk:
            errors["head"] = _("户主必须是本户成员。")
        if self.status == HouseholdStatus.MERGED and not self.merged_into_id:
            errors["merged_into"] = _("合户时请选择并入的户。")
        if errors:
            raise ValidationError(errors)


class Gender(models.TextChoices):
    MALE = "m", _("男")
    FEMALE = "f", _("女")


class VillagerStatus(models.TextChoices):
    REGISTERED = "registered", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已故")


class PartyMembership(models.TextChoices):
    NONE = "none", _("群众")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")


ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = r"^1\d{10}$"


def validate_id_number(value: str) -> None:
    """GB 11643: 18 characters with an ISO 7064 MOD 11-2 check digit."""
    value = (value or "").upper()
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(_("身份证号应为18位。"), code="id_format")
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True))
    if "10X98765432"[total % 11] != value[17]:
        raise ValidationError(_("身份证号校验位不正确。"), code="id_checksum")


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the birthday falls on 1 March in common years
        return day.replace(year=day.year + years, month=3, day=1)


class Villager(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="villagers", verbose_name=_("村")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("户")
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(
        _("身份证号"), max_length=18, validators=[validate_id_number], blank=False
    )
    birth_date = models.DateField(_("出生日期"))
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    phone = models.CharField(
        _("手机号"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(PHONE_RE, _("手机号应为11位数字，以1开头。"))],
    )
    relation_to_head = models.CharField(_("与户主关系"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=VillagerStatus.choices, default=VillagerStatus.REGISTERED
    )
    party_membership = models.CharField(
        _("政治面貌"), max_length=14, choices=PartyMembership.choices, default=PartyMembership.NONE
    )
    is_representative = models.BooleanField(_("村民代表"), default=False)
    representative_from = models.DateField(_("代表任期起"), null=True, blank=True)
    representative_to = models.DateField(_("代表任期止"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="villager",
        verbose_name=_("登录账号"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村民")
        verbose_name_plural = _("村民")
        ordering = ["village", "household__number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "id_number"], name="villager_unique_id"),
            models.CheckConstraint(
                condition=Q(is_representative=False)
                | Q(representative_to__isnull=True)
                | Q(representative_from__isnull=True)
                | Q(representative_to__gte=models.F("representative_from")),
                name="villager_representative_term_order",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="villager_phone")]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def adult_from(self, adult_age: int = 18) -> date:
        return add_years(self.birth_date, adult_age)

    def is_adult_on(self, day: date, adult_age: int = 18) -> bool:
        return self.adult_from(adult_age) <= day

    def is_representative_on(self, day: date) -> bool:
        return (
            self.is_representative
            and (self.representative_from is None or self.representative_from <= day)
            and (self.representative_to is None or day <= self.representative_to)
        )

    def clean(self):
        errors = {}
        if self.id_number:
            self.id_number = self.id_number.upper()
        if self.household_id and self.household.village_id != self.village_id:
            errors["household"] = _("请选择本村的户。")
        if self.id_number and self.birth_date and ID_NUMBER_RE.match(self.id_number):
            digits = self.id_number[6:14]
            if digits != self.birth_date.strftime("%Y%m%d"):
                errors["birth_date"] = _("出生日期与身份证号不一致。")
        if self.is_representative and not self.representative_from:
            errors["representative_from"] = _("请填写村民代表任期起始日期。")
        if errors:
            raise ValidationError(errors)


# ---------------------------------------------------------------------------
# Role memberships (dated)
# ---------------------------------------------------------------------------


class VillageRole(models.TextChoices):
    SECRETARY = "secretary", _("党支部书记")
    BRANCH_COMMITTEE = "branch_committee", _("支委委员")
    VILLAGE_COMMITTEE = "village_committee", _("村委委员")
    GRID_OFFICER = "grid_officer", _("网格员")
    SUPERVISION = "supervision", _("村务监督委员")
    STORE_KEEPER = "store_keeper", _("积分超市管理员")


class TownshipRole(models.TextChoices):
    INSPECTOR = "inspector", _("乡镇巡查")
    ADMIN = "township_admin", _("乡镇管理员")


class DatedQuerySet(models.QuerySet):
    def valid_on(self, day: date):
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gte=day))


class Membership(models.Model):
    """A villager holding a village role from `start` to `end` (inclusive; open if empty)."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("村")
    )
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("村民")
    )
    role = models.CharField(_("职务"), max_length=20, choices=VillageRole.choices)
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("负责网格"),
    )
    start = models.DateField(_("任职起"))
    end = models.DateField(_("任职止"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        ordering = ["village", "role", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_end_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(role="grid_officer") & Q(grid__isnull=False))
                | (~Q(role="grid_officer") & Q(grid__isnull=True)),
                name="membership_grid_only_for_officers",
            ),
        ]
        indexes = [models.Index(fields=["village", "role", "start"], name="membership_lookup")]

    def __str__(self):
        return f"{self.villager} · {self.get_role_display()}"

    def clean(self):
        errors = {}
        if self.villager_id and self.villager.village_id != self.village_id:
            errors["villager"] = _("任职人员必须是本村村民。")
        if self.role == VillageRole.GRID_OFFICER and not self.grid_id:
            errors["grid"] = _("网格员必须指定负责的网格。")
        if self.role != VillageRole.GRID_OFFICER and self.grid_id:
            errors["grid"] = _("只有网格员需要指定网格。")
        if self.grid_id and self.grid.village_id != self.village_id:
            errors["grid"] = _("请选择本村的网格。")
        if self.end and self.start and self.end < self.start:
            errors["end"] = _("任职止日期不能早于起始日期。")
        if errors:
            raise ValidationError(errors)


class TownshipMembership(models.Model):
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("乡镇")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="township_memberships",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("职务"), max_length=20, choices=TownshipRole.choices)
    start = models.DateField(_("任职起"))
    end = models.DateField(_("任职止"), null=True, blank=True)
    history = HistoricalRecords()

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("乡镇任职")
        verbose_name_plural = _("乡镇任职")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="township_membership_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


# ---------------------------------------------------------------------------
# Activation codes
# ---------------------------------------------------------------------------


class ActivationCode(models.Model):
    """A one-time code a secretary prints for a villager to set a password.

    Only a digest is stored; the code itself exists on the printed slip.
    """

    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="activation_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")

    def __str__(self):
        return f"{self.villager} · {self.issued_at:%Y-%m-%d}"


# ---------------------------------------------------------------------------
# Audit chain
# ---------------------------------------------------------------------------


class AuditEvent(models.Model):
    """One row of an append-only, hash-chained log. `chain` is "v<village id>" for a village's
    events and "t<township id>" for township-level ones. Database triggers refuse UPDATE and
    DELETE; `verify_audit` recomputes every hash."""

    chain = models.CharField(max_length=20)
    seq = models.PositiveBigIntegerField()
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, related_name="audit_events"
    )
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_unique_seq"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("audit events are append-only")


class AuditHead(models.Model):
    """The last sequence number and hash of each chain: the row locked while appending, and
    the witness that catches a deleted tail. `seal` is an HMAC of (chain, seq, hash) under the
    integrity key kept outside the database (village/keys.py), so a head rewound or rewritten
    with database access alone no longer matches its seal; database triggers refuse to move a
    head backwards or delete it. `anchored_at`/`anchored_seq`: when and at which seq the head
    was last written into the township's chain (sealed with the head)."""

    chain = models.CharField(max_length=20, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=12, blank=True)
    anchored_at = models.DateTimeField(null=True, blank=True)
    anchored_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.chain}@{self.seq}"


def _now():
    return timezone.now()  # looked up at call time, so a simulated clock reaches it


class DocumentKind(models.TextChoices):
    MEETING_RECORD = "meeting_record", _("会议记录")
    RESOLUTION = "resolution", _("决议")
    AUDIT_TRAIL = "audit_trail", _("议题审计记录")
    POINTS_STATEMENT = "points_statement", _("户积分存折")
    POINTS_LIST = "points_list", _("积分公示表")
    ALLOCATION = "allocation", _("福利分配表")
    NOTICE = "notice", _("公告栏通知")
    HOUSEHOLD_CARD = "household_card", _("户积分卡")
    STATEMENTS = "statements", _("全村积分存折（合订本）")


def document_path(instance, filename):
    return f"documents/{instance.issued_at:%Y/%m}/{instance.code}.pdf"


class Document(models.Model):
    """A PDF as issued: stored once, never changed; a new issue is a new document. Anyone with
    its code can check a printed or downloaded copy at /verify/<code>/."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="documents", verbose_name=_("村")
    )
    kind = models.CharField(_("文书种类"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    subject_type = models.CharField(_("对象类型"), max_length=60)
    subject_id = models.CharField(_("对象编号"), max_length=40)
    code = models.CharField(_("验证码"), max_length=12, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("字节数"))
    pages = models.PositiveIntegerField(_("页数"))
    file = models.FileField(_("文件"), upload_to=document_path)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    issued_by_name = models.CharField(_("签发人"), max_length=100)
    issued_at = models.DateTimeField(_("签发时间"))
    # The village chain's head printed on the document (`verify_audit --against CODE`).
    audit_seq = models.PositiveBigIntegerField(_("审计链序号"), null=True, blank=True)
    audit_hash = models.CharField(_("审计链头"), max_length=64, blank=True)
    # What the document says, without its issue facts (code, time, issuer, chain head): a
    # second print of the same content returns this document instead of issuing another.
    content_sha256 = models.CharField(_("内容指纹"), max_length=64, blank=True)
    # A deliberate re-issue is a new row naming the one it replaces: nothing issued is ever
    # updated, and each document is replaced at most once (the one-to-one is unique).
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("取代的文书"),
    )
    reissue_reason = models.CharField(_("重新签发原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="document_subject")]
        constraints = [
            # One first issue per content; concurrent prints of the same content cannot both
            # issue (the loser returns the winner's document).
            models.UniqueConstraint(
                fields=["village", "kind", "subject_type", "subject_id", "content_sha256"],
                condition=models.Q(supersedes__isnull=True) & ~models.Q(content_sha256=""),
                name="document_issued_once_per_content",
            ),
            models.CheckConstraint(
                condition=models.Q(supersedes__isnull=True) | ~models.Q(reissue_reason=""),
                name="document_reissue_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.title}（{self.code}）"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("已签发的文书不能修改；请重新签发。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("已签发的文书不能删除。"))


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class DocumentBatch(models.Model):
    """A background run that issues many documents as one (e.g. every household's statement);
    its counters drive the progress bar."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("文书种类"), max_length=20, choices=DocumentKind.choices)
    params = models.JSONField(_("参数"), default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=_now)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量文书")
        verbose_name_plural = _("批量文书")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0
