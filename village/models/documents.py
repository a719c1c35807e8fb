"""Issued documents (PDFs stored once, never changed) and background document batches."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tenancy import Village

# ---------------------------------------------------------------------------
# Issued documents
# ---------------------------------------------------------------------------


def requested_now():
    """The default for `DocumentBatch.requested_at`."""
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
    requested_at = models.DateTimeField(_("申请时间"), default=requested_now)
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
