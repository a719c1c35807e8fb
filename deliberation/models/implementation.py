"""What accompanies a matter besides its four steps.

- 乡贤参事 (参事不决事): a village worthy's advisory opinion, recorded before the vote; shown on
  the matter, its trail and its documents, never counted as a vote.
- Implementation milestones (Decidim's accountability, Consul's milestones): what is to be done
  by when, and when it was done; the matter's budget is its estimated amount, and each progress
  update may record the spend so far and the percent complete.

Both are append-only but for a milestone's done date, set once (migration 0008's triggers)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from village.models import Villager

from .procedure import Matter, now


class AdvisoryOpinion(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="advisories")
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, related_name="+", verbose_name=_("乡贤")
    )
    text = models.TextField(_("参事意见"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=now)

    class Meta:
        verbose_name = _("乡贤参事意见")
        verbose_name_plural = _("乡贤参事意见")
        ordering = ["matter", "created_at", "pk"]

    def __str__(self):
        return f"{self.villager.name}: {self.text[:30]}"


class Milestone(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(_("节点"), max_length=100)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("实施节点")
        verbose_name_plural = _("实施节点")
        ordering = ["matter", "due_on", "pk"]

    def __str__(self):
        return f"{self.title} · {self.due_on:%Y-%m-%d}"
