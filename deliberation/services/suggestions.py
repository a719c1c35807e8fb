"""村民说事: a villager's suggestion, the cadres' answer, or its adoption as a matter."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village import services as village_services
from village.models import NotificationKind, Villager
from village.permissions import user_of
from village.uploads import validate_image_upload

from ..models import Matter, Suggestion, SuggestionStatus
from ..permissions import DeliberationAction
from .common import villager_in_name
from .matters import matter_create


@transaction.atomic
def suggestion_submit(*, actor, village, text: str, photo=None) -> Suggestion:
    permissions.require(actor, DeliberationAction.SUGGESTION_SUBMIT, village)
    villager, proxy = villager_in_name(user=actor, village=village)
    if not (text or "").strip():
        raise ValidationError(_("请写下您想说的事。"))
    if len(text) > 2000:
        raise ValidationError(_("内容不能超过 2000 字。"))
    if photo:
        validate_image_upload(photo)
    suggestion = Suggestion(village=village, villager=villager, text=text.strip(), proxy=proxy)
    if photo:
        suggestion.photo = photo
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.submit",
        obj=suggestion,
        payload={"villager": villager.pk, **permissions.proxy_mark(proxy)},
        village=village,
    )
    return suggestion


@transaction.atomic
def suggestion_answer(*, actor, suggestion: Suggestion, answer: str) -> Suggestion:
    permissions.require(actor, DeliberationAction.SUGGESTION_ANSWER, suggestion.village)
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.OPEN:
        raise ValidationError(_("该建议已经处理过。"))
    if not (answer or "").strip():
        raise ValidationError(_("请填写答复内容。"))
    suggestion.answer = answer.strip()
    suggestion.answered_by = user_of(actor)
    suggestion.answered_at = timezone.now()
    suggestion.status = SuggestionStatus.ANSWERED
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.answer",
        obj=suggestion,
        payload={"answer": suggestion.answer[:500]},
        village=suggestion.village,
    )
    village_services.notification_send(
        actor=actor,
        village=suggestion.village,
        key=f"saying:{suggestion.pk}",
        kind=NotificationKind.SAYING_ANSWERED,
        title=_("您说的事已答复"),
        body=suggestion.answer[:200],
        url=reverse("deliberation:suggestions"),
        villagers=Villager.objects.filter(pk=suggestion.villager_id),
        proxies=suggestion.proxy_id is not None,
    )
    return suggestion


@transaction.atomic
def suggestion_adopt(*, actor, suggestion: Suggestion, **matter_fields) -> Matter:
    """Turn a suggestion into a matter of origin 党员群众建议, linked both ways."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, suggestion.village)
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status == SuggestionStatus.ADOPTED:
        raise ValidationError(_("该建议已经转为议题。"))
    matter = matter_create(
        actor=actor,
        village=suggestion.village,
        origin="suggestion",
        suggestion=suggestion,
        **matter_fields,
    )
    suggestion.status = SuggestionStatus.ADOPTED
    suggestion.answered_by = user_of(actor)
    suggestion.answered_at = timezone.now()
    if not suggestion.answer:
        suggestion.answer = _("已转为议题：%s") % matter.title
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.adopt",
        obj=suggestion,
        payload={"matter": matter.pk},
        village=suggestion.village,
    )
    return matter
