"""A matter's text: create it, revise it into a new version, withdraw it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from village import permissions
from village.permissions import user_of

from ..models import (
    BallotMode,
    DecidingBody,
    Matter,
    MatterStatus,
    MatterVersion,
    Origin,
    Step,
    Suggestion,
)
from ..permissions import DeliberationAction
from .common import lock_matter, record


@transaction.atomic
def matter_create(
    *,
    actor,
    village,
    title: str,
    body: str,
    category: str,
    origin: str,
    deciding_body: str = DecidingBody.REPRESENTATIVES_MEETING,
    ballot_mode: str = BallotMode.OPEN,
    estimated_amount_fen: int | None = None,
    suggestion: Suggestion | None = None,
) -> Matter:
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, village)
    matter = Matter(
        village=village,
        title=(title or "").strip(),
        body=(body or "").strip(),
        category=category,
        origin=origin,
        deciding_body=deciding_body,
        ballot_mode=ballot_mode,
        estimated_amount_fen=estimated_amount_fen,
        created_by=user_of(actor),
        suggestion=suggestion,
    )
    matter.full_clean()
    matter.save()
    version = MatterVersion.objects.create(
        matter=matter,
        number=1,
        title=matter.title,
        body=matter.body,
        sha256=matter.text_hash,
        created_by=user_of(actor),
    )
    record(
        actor=actor,
        action="deliberation.matter.create",
        obj=matter,
        payload={
            "title": matter.title,
            "category": category,
            "origin": origin,
            "deciding_body": deciding_body,
            "ballot_mode": ballot_mode,
            "version": 1,
            "sha256": version.sha256,
        },
        matter=matter,
    )
    return matter


@transaction.atomic
def matter_revise(*, actor, matter: Matter, title: str, body: str, reason: str) -> Matter:
    """A new version of the text; only before deliberation starts or after a return."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_revise():
        raise ValidationError(
            _(
                "议题“%(s)s”状态下不能修改文本；表决开始后文本已冻结，修改须退回后形成新版本重新表决。"
            )
            % {"s": matter.get_status_display()}
        )
    if not (reason or "").strip():
        raise ValidationError(_("请说明修改原因。"))
    matter.title, matter.body = (title or "").strip(), (body or "").strip()
    matter.full_clean()
    matter.version += 1
    matter.status = MatterStatus.DRAFT
    matter.current_step = Step.BRANCH
    matter.frozen_hash, matter.frozen_at = "", None
    matter.save()
    version = MatterVersion.objects.create(
        matter=matter,
        number=matter.version,
        title=matter.title,
        body=matter.body,
        sha256=matter.text_hash,
        reason=reason.strip(),
        created_by=user_of(actor),
    )
    record(
        actor=actor,
        action="deliberation.matter.revise",
        obj=matter,
        payload={"version": version.number, "sha256": version.sha256, "reason": version.reason},
        matter=matter,
    )
    return matter


@transaction.atomic
def matter_withdraw(*, actor, matter: Matter, reason: str) -> Matter:
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_withdraw():
        raise ValidationError(_("表决开始后不能撤回议题。"))
    if not (reason or "").strip():
        raise ValidationError(_("请说明撤回原因。"))
    matter.status = MatterStatus.WITHDRAWN
    matter.save()
    record(
        actor=actor,
        action="deliberation.matter.withdraw",
        obj=matter,
        payload={"reason": reason.strip()},
        matter=matter,
    )
    return matter


def matter_open_for(
    *, actor, village, title: str, body: str, category: str, estimated_amount_fen=None
) -> tuple[int, str]:
    """A draft matter asked for by another app (village.extensions.open_matter), e.g. points
    asking the villagers to decide an allocation: a cadre's proposal, to the representatives'
    meeting by default; the secretary may revise it before step 1."""
    matter = matter_create(
        actor=actor,
        village=village,
        title=title,
        body=body,
        category=category,
        origin=Origin.CADRE,
        estimated_amount_fen=estimated_amount_fen,
    )
    return matter.pk, reverse("deliberation_admin_matter", args=[matter.pk])
