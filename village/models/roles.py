"""Roles: dated village and township memberships, and activation codes."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roster import Grid, Villager
from .tenancy import Township, Village

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
    # 乡贤参事会: advises on matters before the vote (参事不决事), never votes as such.
    XIANGXIAN = "xiangxian", _("乡贤参事")


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
