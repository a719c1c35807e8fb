"""村务监督委员会 notes: the one write, for every app's subjects (each app checks its subject
first: a closed meeting, a published list)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit
from ..models import Stance, SupervisionNote, Village
from ..permissions import Action, require, user_of, villager_of


@transaction.atomic
def supervision_note(
    *, actor, village: Village, subject, stance: str, text: str = "", context: dict | None = None
) -> SupervisionNote:
    """A member of the village's supervision committee countersigns, disputes (with a reason)
    or gives an opinion (with its text) on `subject` (a model instance of the village). One
    countersign per member and subject; a dispute or an opinion may follow it. `context` goes
    into the chain event's payload (e.g. {"matter": id}, so the matter's trail shows it)."""
    require(actor, Action.SUPERVISE, village)
    if stance not in Stance.values:
        raise ValidationError(_("未知的监督结论。"), code="stance")
    text = (text or "").strip()
    if stance != Stance.COUNTERSIGN and not text:
        raise ValidationError(
            {"text": _("请写明理由。") if stance == Stance.DISPUTE else _("请填写监督意见。")}
        )
    if len(text) > 2000:
        raise ValidationError({"text": _("不能超过 2000 字。")})
    subject_type = subject._meta.label_lower
    user = user_of(actor)
    mine = SupervisionNote.objects.filter(
        subject_type=subject_type, subject_id=str(subject.pk), created_by=user
    )
    if stance == Stance.COUNTERSIGN and mine.filter(stance=Stance.COUNTERSIGN).exists():
        raise ValidationError(_("您已经会签过了。"), code="twice")
    try:
        with transaction.atomic():
            note = SupervisionNote.objects.create(
                village=village,
                subject_type=subject_type,
                subject_id=str(subject.pk),
                stance=stance,
                text=text,
                villager=villager_of(user),
                created_by=user,
            )
    except IntegrityError as exc:  # a second click at the same moment: the index holds
        raise ValidationError(_("您已经会签过了。"), code="twice") from exc
    audit.record(
        actor=actor,
        action=f"village.supervision.{stance}",
        obj=subject,
        village=village,
        payload={
            **(context or {}),  # what the app files it under, e.g. {"matter": 12}
            "subject": f"{subject_type}:{subject.pk}",
            "stance": stance,
            "text": text,
        },
    )
    return note
