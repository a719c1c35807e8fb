"""村务监督委员会 notes (村民委员会组织法 Art. 32: the committee supervises village affairs,
publications and finances): a countersign of a hall tally, a points list or an allocation, a
dispute of one with its reason, or an opinion on a matter. Each note names its subject the way
documents do (`subject_type` "deliberation.meeting", `subject_id` its id as text), so the core
keeps them for every app without importing any. Never changed or deleted (village migration
0013)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roster import Villager
from .tenancy import Village


class Stance(models.TextChoices):
    COUNTERSIGN = "countersign", _("会签确认")
    DISPUTE = "dispute", _("有异议")
    OPINION = "opinion", _("监督意见")


class SupervisionNote(models.Model):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(_("对象类型"), max_length=40)
    subject_id = models.CharField(_("对象编号"), max_length=40)
    stance = models.CharField(_("监督结论"), max_length=12, choices=Stance.choices)
    text = models.TextField(_("意见或理由"), blank=True, max_length=2000)
    # The committee member as the roster knows them, and the account that wrote it.
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监督意见")
        verbose_name_plural = _("监督意见")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="supervision_subject")]
        constraints = [
            # One countersign per member and subject, also when the button is pressed twice.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "created_by"],
                condition=models.Q(stance="countersign"),
                name="supervision_one_countersign",
            )
        ]

    def __str__(self):
        return f"{self.get_stance_display()} {self.subject_type}:{self.subject_id}"

    @property
    def by(self) -> str:
        if self.villager_id:
            return self.villager.name
        return self.created_by.get_username() if self.created_by_id else "system"
