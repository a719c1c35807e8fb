"""乡贤参事 opinions before the vote, and the implementation's milestones (the budget is the
matter's estimated amount; each progress update may carry the spend so far and the percent)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from village import permissions
from village.permissions import user_of, villager_of

from ..models import AdvisoryOpinion, Matter, MatterStatus, Milestone
from ..permissions import DeliberationAction
from .common import lock_matter, record

# Before the vote: while drafted or deliberated (steps 1–3, and step 4 until the vote opens).
ADVISING = (MatterStatus.DRAFT, MatterStatus.DELIBERATING, MatterStatus.RETURNED)
# Milestones are planned once the resolution is published, and done during implementation.
PLANNING = (MatterStatus.PUBLISHING, MatterStatus.IMPLEMENTING)


@transaction.atomic
def advisory_add(*, actor, matter: Matter, text: str) -> AdvisoryOpinion:
    """A 乡贤参事's advisory opinion (参事不决事): recorded before the vote opens, shown with the
    matter, never counted as a vote."""
    permissions.require(actor, DeliberationAction.ADVISE, matter.village)
    matter = lock_matter(matter=matter)
    if matter.status not in ADVISING:
        raise ValidationError(_("表决开始后不再收录乡贤参事意见。"), code="too_late")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写参事意见。")})
    if len(text) > 2000:
        raise ValidationError({"text": _("参事意见不能超过 2000 字。")})
    villager = villager_of(actor)
    if villager is None:
        raise ValidationError(_("乡贤须在本村花名册中登记。"))
    opinion = AdvisoryOpinion.objects.create(
        matter=matter, villager=villager, text=text, created_by=user_of(actor)
    )
    record(
        actor=actor,
        action="deliberation.advisory.add",
        obj=opinion,
        payload={"matter": matter.pk, "villager": villager.pk, "text": text},
        matter=matter,
    )
    return opinion


@transaction.atomic
def milestone_add(*, actor, matter: Matter, title: str, due_on: date) -> Milestone:
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if matter.status not in PLANNING:
        raise ValidationError(_("决议公开后、实施期间才能安排实施节点。"), code="status")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写节点名称。")})
    if not isinstance(due_on, date):
        raise ValidationError({"due_on": _("请填写计划完成日期。")})
    milestone = Milestone.objects.create(
        matter=matter, title=title[:100], due_on=due_on, created_by=user_of(actor)
    )
    record(
        actor=actor,
        action="deliberation.milestone.add",
        obj=milestone,
        payload={"matter": matter.pk, "title": milestone.title, "due_on": due_on},
        matter=matter,
    )
    return milestone


@transaction.atomic
def milestone_done(*, actor, milestone: Milestone, done_on: date | None = None) -> Milestone:
    matter = milestone.matter
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    lock_matter(matter=matter)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on:
        raise ValidationError(_("该节点已经完成。"), code="done")
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    record(
        actor=actor,
        action="deliberation.milestone.done",
        obj=milestone,
        payload={
            "matter": matter.pk,
            "title": milestone.title,
            "due_on": milestone.due_on,
            "done_on": done_on,
            "late": done_on > milestone.due_on,
        },
        matter=matter,
    )
    return milestone
