"""The household points ledger (积分制): catalogue, accounts, entries, monthly publications
with objections, and welfare (store, star households, pool allocation).

Invariants (DESIGN.md, Domain: points): a posted entry is never updated or deleted — the model
refuses and so does the database (migration 0002); a correction is a reversal entry pointing at
the original; every write carries a unique idempotency key; an account's materialised balance
equals the sum of its posted entries and never goes below zero.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from village.models import Household, Village, Villager, proxy_field
from village.money import yuan_figure


def now():
    # Looked up at call time (not bound at import), so a simulated clock reaches every default.
    return timezone.now()


class PostedEntryError(ValidationError):
    pass


class Category(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="point_categories", verbose_name=_("村")
    )
    name = models.CharField(_("类别"), max_length=40)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分类别")
        verbose_name_plural = _("积分类别")
        ordering = ["village", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="point_category_unique")
        ]

    def __str__(self):
        return self.name


class Catalogue(models.Model):
    """A version of the village's points rules; the newest one in effect on a date applies."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="point_catalogues", verbose_name=_("村")
    )
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"))
    # A plain reference, not a foreign key: points and deliberation do not import each other.
    adopted_by = models.CharField(
        _("通过该细则的决议"),
        max_length=200,
        blank=True,
        help_text=_("村民会议或村民代表会议决议的名称和日期"),
    )
    # The matter whose resolution adopted it (deliberation's id, through village.extensions).
    adopted_matter = models.PositiveIntegerField(_("决议议题编号"), null=True, blank=True)
    # Empty while a draft: a draft's rules may change; an adopted catalogue's never do.
    adopted_at = models.DateTimeField(_("通过生效时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分细则")
        verbose_name_plural = _("积分细则")
        ordering = ["village", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["village", "version"], name="catalogue_unique_version")
        ]

    def __str__(self):
        return f"{self.title}（第{self.version}版）"

    def save(self, *args, **kwargs):
        # Adopted is final: a change would be a new version (checked against the stored row).
        if self.pk and Catalogue.objects.filter(pk=self.pk, adopted_at__isnull=False).exists():
            raise ValidationError(_("已通过的积分细则不能修改，请起草新版本。"), code="adopted")
        super().save(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.adopted_at is None


class Rule(models.Model):
    catalogue = models.ForeignKey(
        Catalogue, on_delete=models.PROTECT, related_name="rules", verbose_name=_("细则")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="rules", verbose_name=_("类别")
    )
    code = models.CharField(_("编码"), max_length=12)
    text = models.CharField(_("内容"), max_length=200)
    points = models.IntegerField(_("分值"))
    cap_per_period = models.PositiveSmallIntegerField(
        _("每年次数上限"), null=True, blank=True, help_text=_("空表示不限")
    )
    evidence_required = models.BooleanField(_("须附照片"), default=False)
    article = models.CharField(_("依据（村规民约条款）"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["catalogue", "category__order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="rule_unique_code"),
            models.CheckConstraint(condition=~Q(points=0), name="rule_points_not_zero"),
        ]

    def __str__(self):
        return f"{self.code} {self.text} {self.points:+d}"

    def save(self, *args, **kwargs):
        # Entries cite rules: once its catalogue is adopted a rule never changes and no rule
        # joins it (a new version is a new catalogue). Checked against the stored rows.
        stored = Rule.objects.filter(pk=self.pk).values_list("catalogue_id", flat=True)
        catalogues = [self.catalogue_id, *(stored if self.pk else [])]
        if Catalogue.objects.filter(pk__in=catalogues, adopted_at__isnull=False).exists():
            raise ValidationError(_("已通过的积分细则不能修改，请起草新版本。"), code="adopted")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Catalogue.objects.filter(pk=self.catalogue_id, adopted_at__isnull=False).exists():
            raise ValidationError(_("已通过的积分细则不能修改，请起草新版本。"), code="adopted")
        return super().delete(*args, **kwargs)

    @property
    def village(self):
        return self.catalogue.village


class Account(models.Model):
    """One per household (optionally one per person). Not history-tracked: its balance is
    materialised from the entries, which are the history, and is updated with F()."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="point_accounts", verbose_name=_("村")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="point_accounts", verbose_name=_("户")
    )
    villager = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("个人（个人账户）"),
    )
    balance = models.IntegerField(_("可用积分"), default=0)
    opened_at = models.DateTimeField(_("开户时间"), default=now)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        ordering = ["village", "household__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(villager__isnull=True),
                name="account_one_per_household",
            ),
            models.UniqueConstraint(
                fields=["villager"],
                condition=Q(villager__isnull=False),
                name="account_one_per_person",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="account_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.household.number}"


class EntryKind(models.TextChoices):
    CONDUCT = "conduct", _("加减分")
    REVERSAL = "reversal", _("冲正")
    REDEMPTION = "redemption", _("兑换")
    OPENING = "opening", _("年度基础分")
    RESET = "reset", _("年度清零")


class EntryStatus(models.TextChoices):
    RECORDED = "recorded", _("已登记")
    CLAIMED = "claimed", _("村民申报")
    REVIEWED = "reviewed", _("已审核")
    REJECTED = "rejected", _("审核未通过")
    PUBLISHED = "published", _("公示中")
    POSTED = "posted", _("已入账")
    VOIDED = "voided", _("异议成立已作废")


# Kinds that count towards a year's conduct score (star ratings, allocations); redemptions spend
# the balance but do not lower the score a household earned.
SCORE_KINDS = (EntryKind.CONDUCT, EntryKind.REVERSAL, EntryKind.OPENING)


class Entry(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("账户")
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="point_entries", verbose_name=_("村")
    )
    kind = models.CharField(_("种类"), max_length=12, choices=EntryKind.choices)
    rule = models.ForeignKey(
        Rule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("规则"),
    )
    points = models.IntegerField(_("分值"))
    year = models.PositiveSmallIntegerField(_("年度"))
    occurred_on = models.DateField(_("发生日期"))
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    photo = models.ImageField(_("照片"), upload_to="points/%Y/%m/", blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=EntryStatus.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=200, blank=True)
    # 回避: set when a cadre recorded for their own household, saying why nobody else could;
    # the inspector sees every such entry (points.audit). Nullable: adding it leaves the
    # ledger's guards in place on SQLite (no table rebuild).
    recusal_note = models.TextField(_("回避说明"), null=True, blank=True, max_length=300)
    # Where a proposed entry came from (a volunteer activity, a meeting, a 说事, a grid event),
    # shown to the villager; and when an officer recorded it on a phone without signal. Both
    # nullable for the same reason as recusal_note.
    source = models.CharField(_("来源"), max_length=200, null=True, blank=True)
    offline_at = models.DateTimeField(_("离线记录于"), null=True, blank=True)
    publication = models.ForeignKey(
        "Publication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("公示"),
    )
    posted_at = models.DateTimeField(_("入账时间"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("冲正的原分录"),
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分分录")
        verbose_name_plural = _("积分分录")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="entry_account_status"),
            models.Index(fields=["village", "status", "occurred_on"], name="entry_village_status"),
            models.Index(fields=["account", "year"], name="entry_account_year"),
            # A year's scores of a village are read from the covering index
            # entry_village_year_score (migration 0006: INCLUDE on PostgreSQL).
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="posted") | Q(posted_at__isnull=True),
                name="entry_posted_at_only_when_posted",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(reverses__isnull=False),
                name="entry_reversal_points_at_original",
            ),
        ]

    def __str__(self):
        return f"{self.account.household.number} {self.points:+d} {self.reason or self.rule}"

    def save(self, *args, **kwargs):
        if getattr(self, "_loaded_status", None) == EntryStatus.POSTED:
            raise PostedEntryError(_("已入账的积分不能修改，只能冲正。"), code="posted")
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    def delete(self, *args, **kwargs):
        raise PostedEntryError(_("积分分录不能删除。"), code="no_delete")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance


class Publication(models.Model):
    """积分公示: a month's reviewed entries, open for objections until `objection_ends_at`."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="point_publications", verbose_name=_("村")
    )
    month = models.DateField(_("月份"), help_text=_("该月的第一天"))
    published_at = models.DateTimeField(_("公示时间"), default=now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    objection_ends_at = models.DateTimeField(_("异议截止"))
    closed_at = models.DateTimeField(_("入账时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分公示")
        verbose_name_plural = _("积分公示")
        ordering = ["village", "-month", "-id"]

    def __str__(self):
        return _("%(year)s年%(month)s月积分公示") % {
            "year": self.month.year,
            "month": self.month.month,
        }

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and timezone.now() < self.objection_ends_at


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "rejected", _("异议不成立")


class Objection(models.Model):
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="objections", verbose_name=_("分录")
    )
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="point_objections", verbose_name=_("村民")
    )
    text = models.TextField(_("异议理由"), max_length=1000)
    filed_at = models.DateTimeField(_("提出时间"), default=now)
    # Set when a 亲情账号 acted in the household's name (`villager` is then the head).
    proxy = proxy_field()
    status = models.CharField(
        _("处理结果"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分异议")
        verbose_name_plural = _("积分异议")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "villager"],
                condition=Q(status="open"),
                name="objection_one_open_per_villager",
            )
        ]

    def __str__(self):
        return f"{self.villager.name}: {self.text[:30]}"


class StoreItem(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="store_items", verbose_name=_("村")
    )
    name = models.CharField(_("物品"), max_length=60)
    unit = models.CharField(_("单位"), max_length=20, default="件")
    points_price = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分超市物品")
        verbose_name_plural = _("积分超市物品")
        ordering = ["village", "points_price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_price__gt=0), name="store_price_positive")
        ]

    def __str__(self):
        return f"{self.name}（{self.points_price}分/{self.unit}）"


class Redemption(models.Model):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(StoreItem, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="redemption")
    receipt = models.CharField(_("兑换凭证号"), max_length=16, unique=True)
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("兑换时间"), default=now)

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-created_at"]

    def __str__(self):
        return self.receipt


def resolution_field(label, *, unique=True):
    """A matter of deliberation, by id (the apps do not import each other): one resolution
    decides one allocation or one star round."""
    return models.PositiveIntegerField(label, null=True, blank=True, unique=unique)


class StarRound(models.Model):
    """星级文明户 rating of a year: the thresholds used and when it was published."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="star_rounds")
    year = models.PositiveSmallIntegerField(_("年度"))
    thresholds = models.JSONField(_("星级门槛"), help_text=_('如 {"5": 180, "4": 160, ...}'))
    created_at = models.DateTimeField(default=now)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    proposed_matter = resolution_field(_("提请议题编号"), unique=False)
    matter_ref = resolution_field(_("决议议题编号"))
    resolution_sha256 = models.CharField(_("决议文本指纹"), max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("星级文明户评定")
        verbose_name_plural = _("星级文明户评定")
        ordering = ["village", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="star_round_one_per_year")
        ]

    def __str__(self):
        return _("%(year)s年度星级文明户") % {"year": self.year}


class StarRating(models.Model):
    round = models.ForeignKey(StarRound, on_delete=models.PROTECT, related_name="ratings")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="star_ratings")
    score = models.IntegerField(_("年度得分"))
    stars = models.PositiveSmallIntegerField(_("星级"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("星级")
        verbose_name_plural = _("星级")
        ordering = ["round", "-stars", "-score", "household__number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="star_rating_unique")
        ]

    def __str__(self):
        return f"{self.household.number} {'★' * self.stars}"

    @property
    def village(self):
        return self.round.village


class Allocation(models.Model):
    """A benefit pool split by points (fen integers, largest remainder)."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="allocations")
    year = models.PositiveSmallIntegerField(_("积分年度"))
    title = models.CharField(_("名称"), max_length=100)
    pool_fen = models.PositiveBigIntegerField(_("总额（分）"))
    floor = models.IntegerField(_("起算分"), default=0, help_text=_("只按超过该分数的部分分配"))
    cap_fen = models.PositiveBigIntegerField(_("每户上限（分）"), null=True, blank=True)
    rule_text = models.TextField(_("分配办法"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    proposed_matter = resolution_field(_("提请议题编号"), unique=False)
    # Set with `published_at`, once: the resolution that decided it (deliberation's matter id,
    # through village.extensions) and the SHA-256 of that resolution's frozen text.
    matter_ref = resolution_field(_("决议议题编号"))
    resolution_sha256 = models.CharField(_("决议文本指纹"), max_length=64, blank=True)
    objection_ends_at = models.DateTimeField(_("异议截止"), null=True, blank=True)
    # The form's key: a double click or a resubmitted form makes one allocation, not two.
    idempotency_key = models.CharField(
        _("幂等键"), max_length=80, unique=True, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("福利分配")
        verbose_name_plural = _("福利分配")
        ordering = ["village", "-year", "-id"]

    def __str__(self):
        return self.title

    @property
    def pool_yuan(self) -> str:
        return yuan_figure(self.pool_fen)


class Share(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="shares")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    score = models.IntegerField(_("年度得分"))
    weight = models.IntegerField(_("计分"))
    eligible = models.BooleanField(_("有资格"), default=True)
    reason = models.CharField(_("说明"), max_length=100, blank=True)
    amount_fen = models.PositiveBigIntegerField(_("金额（分）"))
    rank = models.PositiveIntegerField(_("名次"))

    class Meta:
        verbose_name = _("分配份额")
        verbose_name_plural = _("分配份额")
        ordering = ["allocation", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "household"], name="share_unique")
        ]

    def __str__(self):
        return f"{self.household.number} {self.yuan}"

    @property
    def yuan(self) -> str:
        return yuan_figure(self.amount_fen)


class AllocationObjection(models.Model):
    """An objection to a published allocation list, filed in its window and answered by the
    committee before the list is final. Never deleted (migration 0009)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="objections")
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    proxy = proxy_field()
    text = models.TextField(_("异议理由"), max_length=1000)
    filed_at = models.DateTimeField(_("提出时间"), default=now)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("分配异议")
        verbose_name_plural = _("分配异议")
        ordering = ["filed_at", "pk"]

    def __str__(self):
        return f"{self.villager.name}: {self.text[:30]}"
