"""四议两公开: matters, their versions, the meeting of each step, attendance, votes,
publications with objections, implementation updates, and villagers' suggestions (村民说事)."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from village.models import Household, Village, Villager, proxy_field


class Category(models.TextChoices):
    """Matters that must go through the procedure (村民委员会组织法 Art. 24, 27)."""

    ALLOWANCE = "allowance", _("误工补贴人员及标准")
    COLLECTIVE_INCOME = "collective_income", _("集体经济所得收益使用")
    PUBLIC_WELFARE_FUNDING = "public_welfare_funding", _("兴办公益事业筹资筹劳")
    LAND_CONTRACT = "land_contract", _("土地承包经营方案")
    COLLECTIVE_PROJECT = "collective_project", _("集体经济项目立项承包")
    HOMESTEAD = "homestead", _("宅基地使用方案")
    EXPROPRIATION_COMPENSATION = "expropriation_compensation", _("征地补偿费使用分配")
    DISPOSAL_OF_PROPERTY = "disposal_of_property", _("以借贷租赁等方式处分集体财产")
    VILLAGE_RULES = "village_rules", _("村规民约/自治章程制定修改")
    SUBSISTENCE_REVIEW = "subsistence_review", _("低保/救助评议")
    OTHER = "other", _("其他重大事项")


class Origin(models.TextChoices):
    SUGGESTION = "suggestion", _("党员群众建议")
    CADRE = "cadre", _("村干部提议")
    HIGHER = "higher", _("上级安排")


class DecidingBody(models.TextChoices):
    VILLAGERS_MEETING = "villagers_meeting", _("村民会议")
    REPRESENTATIVES_MEETING = "representatives_meeting", _("村民代表会议")


class BallotMode(models.TextChoices):
    OPEN = "open", _("记名投票")
    SECRET = "secret", _("无记名投票")


class MatterStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    DELIBERATING = "deliberating", _("审议中")
    VOTING = "voting", _("表决中")
    RESOLVED = "resolved", _("已决议，待公开")
    PUBLISHING = "publishing", _("决议公开中")
    IMPLEMENTING = "implementing", _("实施中")
    RESULT_PUBLISHING = "result_publishing", _("实施结果公开中")
    ARCHIVED = "archived", _("已归档")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class Step(models.IntegerChoices):
    BRANCH = 1, _("党支部提议")
    COMMITTEES = 2, _("两委商议")
    PARTY = 3, _("党员大会审议")
    RESOLUTION = 4, _("村民（代表）会议决议")
    PUBLICATION = 5, _("决议公开")
    RESULT = 6, _("实施结果公开")


def now():
    # Looked up at call time (not bound at import), so a simulated clock reaches every default.
    return timezone.now()


def text_sha256(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


class Matter(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="matters", verbose_name=_("村")
    )
    title = models.CharField(_("议题"), max_length=200)
    body = models.TextField(_("内容"))
    category = models.CharField(_("类别"), max_length=40, choices=Category.choices)
    origin = models.CharField(_("来源"), max_length=20, choices=Origin.choices)
    estimated_amount_fen = models.BigIntegerField(
        _("预计金额"), null=True, blank=True, help_text=_("按元填写、显示；以分为单位保存")
    )
    deciding_body = models.CharField(
        _("决议机构"),
        max_length=30,
        choices=DecidingBody.choices,
        default=DecidingBody.REPRESENTATIVES_MEETING,
    )
    ballot_mode = models.CharField(
        _("投票方式"), max_length=10, choices=BallotMode.choices, default=BallotMode.OPEN
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=MatterStatus.choices, default=MatterStatus.DRAFT
    )
    current_step = models.PositiveSmallIntegerField(_("当前步骤"), default=1)
    version = models.PositiveIntegerField(_("版本"), default=1)
    frozen_hash = models.CharField(_("冻结文本指纹"), max_length=64, blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=now)
    suggestion = models.OneToOneField(
        "Suggestion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matter",
        verbose_name=_("来自村民说事"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_step__gte=1) & Q(current_step__lte=6),
                name="matter_step_range",
            ),
            models.CheckConstraint(
                condition=Q(estimated_amount_fen__isnull=True) | Q(estimated_amount_fen__gte=0),
                name="matter_amount_not_negative",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def text_hash(self) -> str:
        return text_sha256(self.title, self.body)

    # Guards (Saleor style): small questions the services and screens ask.
    def can_revise(self) -> bool:
        return self.status in (MatterStatus.DRAFT, MatterStatus.RETURNED)

    def can_record_step(self, step: int) -> bool:
        return (
            self.status in (MatterStatus.DRAFT, MatterStatus.DELIBERATING)
            and step == self.current_step
            and step <= Step.PARTY
        )

    def can_open_vote(self) -> bool:
        return self.status == MatterStatus.DELIBERATING and self.current_step == Step.RESOLUTION

    def can_vote(self) -> bool:
        return self.status == MatterStatus.VOTING

    def can_publish_resolution(self) -> bool:
        return self.status == MatterStatus.RESOLVED

    def can_add_implementation(self) -> bool:
        return self.status == MatterStatus.IMPLEMENTING

    def can_withdraw(self) -> bool:
        return self.status in (
            MatterStatus.DRAFT,
            MatterStatus.DELIBERATING,
            MatterStatus.RETURNED,
        )

    @property
    def is_closed(self) -> bool:
        return self.status in (MatterStatus.ARCHIVED, MatterStatus.WITHDRAWN)


class MatterVersion(models.Model):
    """An immutable snapshot of a matter's text; a revision after a failed step is a new one."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("议题"), max_length=200)
    body = models.TextField(_("内容"))
    sha256 = models.CharField(max_length=64)
    reason = models.CharField(_("修改原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("议题版本")
        verbose_name_plural = _("议题版本")
        ordering = ["matter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "number"], name="matter_version_unique")
        ]

    def __str__(self):
        return f"{self.matter} v{self.number}"


class Body(models.TextChoices):
    BRANCH_COMMITTEE = "branch_committee", _("党支部委员会")
    TWO_COMMITTEES = "two_committees", _("村两委")
    PARTY_MEMBERS = "party_members", _("党员大会")
    VILLAGERS = "villagers", _("村民会议")
    REPRESENTATIVES = "representatives", _("村民代表会议")


class MeetingStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Meeting(models.Model):
    """The meeting of one step (1–4). A joint 一肩挑 meeting covers steps 1 and 2."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="meetings")
    step = models.PositiveSmallIntegerField(_("步骤"), choices=Step.choices)
    joint = models.BooleanField(_("与两委商议合并召开"), default=False)
    version = models.ForeignKey(MatterVersion, on_delete=models.PROTECT, related_name="meetings")
    body = models.CharField(_("参会机构"), max_length=20, choices=Body.choices)
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    chair = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主持人"),
    )
    recorder = models.ForeignKey(
        Villager,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    minutes = models.TextField(_("会议纪要"), blank=True)
    register_photo = models.ImageField(
        _("签到表照片"), upload_to="deliberation/registers/%Y/%m/", blank=True
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.OPEN
    )
    # Step 4: the frozen text and the online voting window.
    frozen_hash = models.CharField(_("冻结文本指纹"), max_length=64, blank=True)
    vote_opens_at = models.DateTimeField(_("网上投票开始"), null=True, blank=True)
    vote_closes_at = models.DateTimeField(_("网上投票截止"), null=True, blank=True)
    # The verdict, stored with its numbers, rules and sources.
    should_attend = models.PositiveIntegerField(_("应到"), default=0)
    present = models.PositiveIntegerField(_("实到"), default=0)
    households_total = models.PositiveIntegerField(_("应到户"), default=0)
    households_present = models.PositiveIntegerField(_("到会户"), default=0)
    yes = models.PositiveIntegerField(_("赞成"), default=0)
    no = models.PositiveIntegerField(_("反对"), default=0)
    abstain = models.PositiveIntegerField(_("弃权"), default=0)
    quorum_met = models.BooleanField(_("达到法定人数"), null=True, blank=True)
    passed = models.BooleanField(_("通过"), null=True, blank=True)
    verdict = models.JSONField(_("结论依据"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["matter", "held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vote_opens_at__isnull=True)
                | Q(vote_closes_at__gt=models.F("vote_opens_at")),
                name="meeting_window_order",
            ),
            models.CheckConstraint(
                condition=Q(step__gte=1) & Q(step__lte=4), name="meeting_step_range"
            ),
        ]

    def __str__(self):
        return f"{self.matter} · {self.get_step_display()}"

    @property
    def window_open(self) -> bool:
        now = timezone.now()
        return (
            self.status == MeetingStatus.OPEN
            and self.vote_opens_at is not None
            and self.vote_opens_at <= now < self.vote_closes_at
        )


class Attendance(models.Model):
    """One member of the body on the should-attend snapshot, present or not."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("出席"), default=False)
    exempted = models.BooleanField(_("经批准请假"), default=False)
    exemption_reason = models.CharField(_("请假事由"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代表的户"),
    )

    class Meta:
        verbose_name = _("出席")
        verbose_name_plural = _("出席")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "villager"], name="attendance_unique"),
            models.CheckConstraint(
                condition=~(Q(present=True) & Q(exempted=True)),
                name="attendance_present_or_exempted",
            ),
        ]

    def __str__(self):
        return f"{self.meeting_id}:{self.villager_id}"


class Observer(models.Model):
    """列席: a non-voting attendee (乡贤, township official, supervision member); never counted."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="observers")
    name = models.CharField(_("姓名"), max_length=50)
    capacity = models.CharField(_("身份"), max_length=50)

    class Meta:
        verbose_name = _("列席人员")
        verbose_name_plural = _("列席人员")

    def __str__(self):
        return f"{self.name}（{self.capacity}）"


class Channel(models.TextChoices):
    ONLINE = "online", _("网上投票")
    HALL = "hall", _("会场投票")


class Choice(models.TextChoices):
    YES = "yes", _("赞成")
    NO = "no", _("反对")
    ABSTAIN = "abstain", _("弃权")


class Participation(models.Model):
    """That a person voted in a meeting — one per person per meeting, across both channels."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="participations")
    voter = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    cast_at = models.DateTimeField(default=now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("投票记录")
        verbose_name_plural = _("投票记录")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "voter"], name="one_vote_per_person"),
        ]

    def __str__(self):
        return f"{self.meeting_id}:{self.voter_id}"


class CastBallots(models.Manager):
    def get_queryset(self):
        return super().get_queryset().exclude(choice="")


class Ballot(models.Model):
    """A counted choice. An open ballot names the voter; a secret ballot does not, has a random
    key and no time. Secret online ballots are written only when the vote is counted, from the
    opened `SealedBallot`s, shuffled, in one statement — so neither their order nor any system
    column follows the order of the votes. (Meetings opened before that design kept a box of
    blank ballots, `choice` empty; `Ballot.cast` leaves the blanks out.)"""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(
        Villager, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    choice = models.CharField(max_length=10, choices=Choice.choices, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    text_hash = models.CharField(max_length=64)
    receipt = models.CharField(max_length=16, null=True, blank=True)

    objects = models.Manager()
    cast = CastBallots()

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "voter"],
                condition=Q(voter__isnull=False),
                name="one_open_ballot_per_person",
            ),
            models.UniqueConstraint(fields=["meeting", "receipt"], name="ballot_receipt_unique"),
        ]

    def __str__(self):
        return f"{self.meeting_id}:{self.choice}"


class SealedBallot(models.Model):
    """A secret online vote while its window is open: the choice and the receipt, encrypted
    (AES-GCM) under a key derived for this meeting from the integrity key, which the database
    does not hold (village/keys.py) — and nothing else: no voter, no time, a random id.

    Every row written while voting keeps the order of the votes somewhere (its physical place,
    PostgreSQL's xmin, SQLite's rowid, the participation written in the same transaction); a
    sealed ballot keeps it too, but holds no choice anyone can read. When the vote is counted
    the box is opened: the choices become anonymous `Ballot` rows written in a shuffled order
    in one statement, and the envelopes are removed (allowed only once the meeting is closed),
    so no stored choice follows the order of the votes. docs/deliberation.md: threat model."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="sealed_ballots")
    key_id = models.CharField(max_length=12)
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("密封选票")
        verbose_name_plural = _("密封选票")

    def __str__(self):
        return f"{self.meeting_id}:sealed"


class PublicationKind(models.TextChoices):
    RESOLUTION = "resolution", _("决议公开")
    RESULT = "result", _("实施结果公开")


class Publication(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="publications")
    kind = models.CharField(_("类型"), max_length=12, choices=PublicationKind.choices)
    text = models.TextField(_("公开内容"))
    starts_at = models.DateTimeField(_("公开开始"))
    ends_at = models.DateTimeField(_("公开期满"))
    required_days = models.PositiveSmallIntegerField(_("规定公开天数"))
    rule_source = models.CharField(max_length=200)
    closed_at = models.DateTimeField(_("公开结束"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("公开")
        verbose_name_plural = _("公开")
        ordering = ["matter", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "kind"], name="one_publication_per_kind"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="publication_window_order"
            ),
        ]

    def __str__(self):
        return f"{self.matter} · {self.get_kind_display()}"


class Objection(models.Model):
    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="objections"
    )
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("异议内容"))
    filed_at = models.DateTimeField(default=now)
    # Set when a 亲情账号 acted in the household's name (`villager` is then the head).
    proxy = proxy_field()
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["publication", "filed_at"]

    def __str__(self):
        return f"{self.villager} · {self.filed_at:%Y-%m-%d}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class ImplementationUpdate(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="updates")
    text = models.TextField(_("进展"))
    photo = models.ImageField(_("照片"), upload_to="deliberation/updates/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    # What was spent so far (元 stored in 分) and how far the work is, as the update reports.
    spent_fen = models.BigIntegerField(_("累计支出（分）"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"), null=True, blank=True)

    class Meta:
        verbose_name = _("实施进展")
        verbose_name_plural = _("实施进展")
        ordering = ["matter", "created_at"]

    def __str__(self):
        return f"{self.matter} · {self.created_at:%Y-%m-%d}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    ADOPTED = "adopted", _("已转为议题")


class Suggestion(models.Model):
    """村民说事 / 乡贤参事: a villager's suggestion, answered or turned into a matter."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="suggestions")
    villager = models.ForeignKey(Villager, on_delete=models.PROTECT, related_name="suggestions")
    text = models.TextField(_("说事内容"))
    photo = models.ImageField(_("照片"), upload_to="deliberation/suggestions/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=now)
    # Set when a 亲情账号 acted in the household's name (`villager` is then the head).
    proxy = proxy_field()
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村民说事")
        verbose_name_plural = _("村民说事")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text[:30]
