"""Steps 5 and 6: the resolution published, objections filed and answered, the publication
closed, implementation recorded, the result published."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village import services as village_services
from village.models import NotificationKind, Villager
from village.money import yuan
from village.permissions import user_of
from village.uploads import validate_image_upload

from .. import selectors
from ..models import (
    ImplementationUpdate,
    Matter,
    MatterStatus,
    Objection,
    Publication,
    PublicationKind,
    Step,
)
from ..permissions import DeliberationAction
from .common import lock_matter, record, villager_in_name


def publication_open(*, actor, matter: Matter, kind: str, text: str, days_key: str) -> Publication:
    """Publish `text` for the rule set's number of days (`days_key`); the caller holds the
    matter's lock and has checked the guard."""
    if not (text or "").strip():
        raise ValidationError(_("请填写公开内容。"))
    ruleset = matter.village.rules
    days = getattr(ruleset, days_key)
    now = timezone.now()
    publication = Publication.objects.create(
        matter=matter,
        kind=kind,
        text=text.strip(),
        starts_at=now,
        ends_at=now + timedelta(days=days),
        required_days=days,
        rule_source=ruleset.source(days_key),
        published_by=user_of(actor),
    )
    record(
        actor=actor,
        action=f"deliberation.publication.{kind}",
        obj=publication,
        payload={"matter": matter.pk, "days": days, "ends_at": publication.ends_at},
        matter=matter,
    )
    return publication


@transaction.atomic
def matter_publish(*, actor, matter: Matter, text: str) -> Publication:
    """Step 5: publish the resolution for the rule set's number of days; objections open."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_publish_resolution():
        raise ValidationError(_("只有已通过表决的议题才能公开决议。"))
    publication = publication_open(
        actor=actor,
        matter=matter,
        kind=PublicationKind.RESOLUTION,
        text=text,
        days_key="resolution_publication_days",
    )
    matter.status = MatterStatus.PUBLISHING
    matter.current_step = Step.PUBLICATION
    matter.save()
    # Every published resolution writes the village's head into the township's chain.
    audit.anchor(village=matter.village, reason="resolution", actor=actor)
    return publication


@transaction.atomic
def objection_file(*, actor, publication: Publication, text: str) -> Objection:
    matter = publication.matter
    permissions.require(actor, DeliberationAction.OBJECTION_FILE, matter.village)
    villager, proxy = villager_in_name(user=actor, village=matter.village)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    now = timezone.now()
    if publication.closed_at or now >= publication.ends_at:
        raise ValidationError(_("公开期已结束，不能再提出异议。"))
    if not (text or "").strip():
        raise ValidationError(_("请写明异议的内容和理由。"))
    if len(text) > 2000:
        raise ValidationError(_("异议内容不能超过 2000 字。"))
    objection = Objection.objects.create(
        publication=publication, villager=villager, text=text.strip(), proxy=proxy
    )
    record(
        actor=actor,
        action="deliberation.objection.file",
        obj=objection,
        payload={
            "publication": publication.pk,
            "matter": matter.pk,
            "villager": villager.pk,
            **permissions.proxy_mark(proxy),
        },
        matter=matter,
    )
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, answer: str) -> Objection:
    matter = objection.publication.matter
    permissions.require(actor, DeliberationAction.OBJECTION_ANSWER, matter.village)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered:
        raise ValidationError(_("该异议已经答复过。"))
    if not (answer or "").strip():
        raise ValidationError(_("请填写答复内容。"))
    objection.answer = answer.strip()
    objection.answered_by = user_of(actor)
    objection.answered_at = timezone.now()
    objection.save()
    record(
        actor=actor,
        action="deliberation.objection.answer",
        obj=objection,
        payload={"matter": matter.pk, "answer": objection.answer[:500]},
        matter=matter,
    )
    village_services.notification_send(
        actor=actor,
        village=matter.village,
        key=f"matter-objection:{objection.pk}",
        kind=NotificationKind.OBJECTION_ANSWERED,
        title=_("您对“%(title)s”的异议已答复") % {"title": matter.title},
        body=objection.answer[:200],
        url=reverse("deliberation:matter", args=[matter.pk]),
        villagers=Villager.objects.filter(pk=objection.villager_id),
        proxies=objection.proxy_id is not None,
    )
    return objection


@transaction.atomic
def publication_close(*, actor, matter: Matter) -> Matter:
    """End a publication when its days are over and every objection is answered."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    publication = selectors.open_publication(matter)
    if publication is None or matter.status not in (
        MatterStatus.PUBLISHING,
        MatterStatus.RESULT_PUBLISHING,
    ):
        raise ValidationError(_("没有正在进行的公开。"))
    now = timezone.now()
    if now < publication.ends_at:
        raise ValidationError(
            _("公开期未满（%(d)d 天，至 %(end)s），不能提前结束。")
            % {
                "d": publication.required_days,
                "end": timezone.localtime(publication.ends_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    unanswered = publication.objections.filter(answered_at__isnull=True).count()
    if unanswered:
        raise ValidationError(_("还有 %d 条异议未答复，答复后才能进入下一步。") % unanswered)
    publication.closed_at = now
    publication.save()
    if publication.kind == PublicationKind.RESOLUTION:
        matter.status = MatterStatus.IMPLEMENTING
        matter.current_step = Step.RESULT
    else:
        matter.status = MatterStatus.ARCHIVED
    matter.save()
    record(
        actor=actor,
        action="deliberation.publication.close",
        obj=publication,
        payload={
            "matter": matter.pk,
            "kind": publication.kind,
            "objections": publication.objections.count(),
        },
        matter=matter,
    )
    return matter


@transaction.atomic
def implementation_add(
    *, actor, matter: Matter, text: str, photo=None, spent_fen=None, percent=None
) -> ImplementationUpdate:
    """A progress update: what was done, optionally a photo, the spend so far (分) and the
    percent complete (0–100)."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_add_implementation():
        raise ValidationError(_("决议公开结束后才能登记实施进展。"))
    if not (text or "").strip():
        raise ValidationError(_("请填写实施进展。"))
    if spent_fen is not None and (not isinstance(spent_fen, int) or spent_fen < 0):
        raise ValidationError({"spent": _("累计支出须为不小于零的金额。")})
    if percent is not None and (not isinstance(percent, int) or not 0 <= percent <= 100):
        raise ValidationError({"percent": _("完成进度须在 0 到 100 之间。")})
    if photo:
        validate_image_upload(photo)
    update = ImplementationUpdate(
        matter=matter,
        text=text.strip(),
        created_by=user_of(actor),
        spent_fen=spent_fen,
        percent=percent,
    )
    if photo:
        update.photo = photo
    update.save()
    record(
        actor=actor,
        action="deliberation.implementation.add",
        obj=update,
        payload={
            "matter": matter.pk,
            "photo": bool(photo),
            "spent_fen": spent_fen,
            "percent": percent,
        },
        matter=matter,
    )
    return update


@transaction.atomic
def result_publish(*, actor, matter: Matter, text: str) -> Publication:
    """Step 6: publish the implementation result for the rule set's number of days."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_add_implementation():
        raise ValidationError(_("只有实施中的议题才能公开实施结果。"))
    if not matter.updates.exists():
        raise ValidationError(_("请先登记至少一条实施进展。"))
    if (text or "").strip():
        text = text.strip() + budget_line(matter)
    publication = publication_open(
        actor=actor,
        matter=matter,
        kind=PublicationKind.RESULT,
        text=text,
        days_key="result_publication_days",
    )
    matter.status = MatterStatus.RESULT_PUBLISHING
    matter.save()
    return publication


def budget_line(matter: Matter) -> str:
    """What the result publication says of money: the budget (the matter's estimated amount)
    against the latest reported spend, and the milestones done on time — appended by the
    platform, so no result is published without them."""
    latest = matter.updates.exclude(spent_fen=None).order_by("-created_at", "-pk").first()
    parts = []
    if matter.estimated_amount_fen is not None or latest is not None:
        parts.append(
            _("预算 %(budget)s，累计支出 %(spent)s")
            % {
                "budget": yuan(matter.estimated_amount_fen)
                if matter.estimated_amount_fen is not None
                else _("未列"),
                "spent": yuan(latest.spent_fen) if latest is not None else _("未报"),
            }
        )
    milestones = list(matter.milestones.all())
    if milestones:
        on_time = sum(1 for m in milestones if m.done_on and m.done_on <= m.due_on)
        done = sum(1 for m in milestones if m.done_on)
        parts.append(
            _("实施节点 %(n)d 个，已完成 %(done)d 个（按期 %(ok)d 个）")
            % {"n": len(milestones), "done": done, "ok": on_time}
        )
    return ("\n" + "；".join(parts) + "。") if parts else ""
