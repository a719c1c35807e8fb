"""The roster: grids (large grids and their areas), households and villagers."""

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .tenancy import Village

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
