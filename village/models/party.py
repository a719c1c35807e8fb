"""三亮三增 and 党建+N: party members' and cadres' cards on the public board (党员亮身份), their
yearly commitments (亮承诺) with the branch's note of fulfilment, dated 包联 assignments of a
member to households or areas, and the member's visit notes (走访记录).

Commitments, assignments and visit notes are never deleted (village migration 0016): a withdrawn
commitment is marked, an assignment is ended, a visit note is kept as written."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import DatedQuerySet, VillageRole
from .roster import Grid, Household, Villager
from .tenancy import Village

# The offices shown on the board (三亮: 亮身份, 亮职责): the two committees, the grid officers and
# the supervision committee. The store keeper and the 乡贤参事 hold no public office.
BOARD_ROLES = (
    VillageRole.SECRETARY,
    VillageRole.BRANCH_COMMITTEE,
    VillageRole.VILLAGE_COMMITTEE,
    VillageRole.GRID_OFFICER,
    VillageRole.SUPERVISION,
)


def party_photo_path(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return f"party/photos/{instance.village_id}/{instance.villager_id}-{stamp}.{extension}"


class PartyCard(models.Model):
    """What a member or cadre chose to show on the board beyond name, post and grid. The photo
    and the office phone are shown only when they opted in; nothing else of the roster is."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("村")
    )
    villager = models.OneToOneField(
        Villager, on_delete=models.PROTECT, related_name="party_card", verbose_name=_("本人")
    )
    office_hours = models.CharField(_("坐班时间"), max_length=200, blank=True)
    office_phone = models.CharField(_("办公电话"), max_length=20, blank=True)
    show_office_phone = models.BooleanField(_("在亮身份栏显示办公电话"), default=False)
    photo = models.FileField(_("照片"), upload_to=party_photo_path, blank=True, max_length=200)
    show_photo = models.BooleanField(_("在亮身份栏显示照片"), default=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("亮身份名片")
        verbose_name_plural = _("亮身份名片")

    def __str__(self):
        return str(self.villager_id)

    @property
    def shown_photo(self) -> bool:
        return self.show_photo and bool(self.photo)

    @property
    def shown_phone(self) -> str:
        return self.office_phone if self.show_office_phone else ""


class Fulfilment(models.TextChoices):
    FULFILLED = "fulfilled", _("已兑现")
    PARTLY = "partly", _("基本兑现")
    NOT_FULFILLED = "not_fulfilled", _("未兑现")


class CommitmentSet(models.Model):
    """One member's commitments of one year (亮承诺), and the branch's note of fulfilment at
    year end: once noted, the member's items are closed to change."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("村")
    )
    member = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        related_name="commitment_sets",
        verbose_name=_("党员"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    fulfilment = models.CharField(
        _("兑现情况"), max_length=14, choices=Fulfilment.choices, blank=True
    )
    fulfilment_note = models.CharField(_("支部评议"), max_length=500, blank=True)
    noted_at = models.DateTimeField(_("评议时间"), null=True, blank=True)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("填写时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度承诺")
        verbose_name_plural = _("年度承诺")
        ordering = ["village", "-year", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="commitment_set_per_year"),
            models.CheckConstraint(
                condition=Q(noted_at__isnull=True) | ~Q(fulfilment=""),
                name="commitment_set_noted_has_fulfilment",
            ),
        ]

    def __str__(self):
        return f"{self.member_id}·{self.year}"

    @property
    def is_noted(self) -> bool:
        return self.noted_at is not None


class Commitment(models.Model):
    """One item of a member's yearly commitments. Withdrawn, never deleted."""

    commitment_set = models.ForeignKey(
        CommitmentSet, on_delete=models.PROTECT, related_name="items", verbose_name=_("年度承诺")
    )
    text = models.CharField(_("承诺内容"), max_length=300)
    created_at = models.DateTimeField(_("填写时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("承诺事项")
        verbose_name_plural = _("承诺事项")
        ordering = ["commitment_set", "created_at", "pk"]

    def __str__(self):
        return self.text[:30]

    @property
    def village(self):
        return self.commitment_set.village


class PartyLink(models.Model):
    """包联 (党建+N): a member or cadre serves one household, or every household of one area,
    from `start` to `end` (inclusive; open if empty). Ended, never deleted."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("村")
    )
    member = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="party_links", verbose_name=_("包联党员")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_links",
        verbose_name=_("包联户"),
    )
    area = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_links",
        verbose_name=_("包联片区"),
    )
    start = models.DateField(_("包联起"))
    end = models.DateField(_("包联止"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("包联")
        verbose_name_plural = _("包联")
        ordering = ["village", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(area__isnull=True))
                | (Q(household__isnull=True) & Q(area__isnull=False)),
                name="party_link_household_or_area",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="party_link_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "start"], name="party_link_household"),
            models.Index(fields=["area", "start"], name="party_link_area"),
        ]

    def __str__(self):
        return f"{self.member_id}→{self.household_id or self.area_id}"


class VisitNote(models.Model):
    """走访记录: what a member found at a household they serve. Kept as written: the member and
    the secretary read it; the public never, another household never."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("村")
    )
    link = models.ForeignKey(
        PartyLink, on_delete=models.PROTECT, related_name="visits", verbose_name=_("包联")
    )
    member = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="+", verbose_name=_("走访党员")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="party_visits", verbose_name=_("走访户")
    )
    visited_on = models.DateField(_("走访日期"))
    text = models.TextField(_("走访情况"), max_length=2000)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["village", "member"], name="visit_note_member")]

    def __str__(self):
        return f"{self.household_id}·{self.visited_on}"
