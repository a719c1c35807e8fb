"""Welfare under a resolution (村民委员会组织法 Art. 24: the use of collective income is the
villagers' decision). A star round or an allocation is built as a draft; the platform opens a
matter whose text carries the draft's terms and fingerprint; the list is published only under
a published, settled resolution of the same village whose frozen text carries exactly those
terms; an allocation list then has its own objection window, and is final when the window is
over and every objection is answered."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village.extensions import open_matter, resolutions
from village.models import VillagerStatus
from village.permissions import user_of

from .. import selectors, terms
from ..models import Allocation, AllocationObjection, StarRound
from ..permissions import PointsAction


def _matter_body(intro: str, heading: str, items: list) -> str:
    return (
        f"{intro}\n\n{terms.block(heading, items)}\n\n"
        "决议通过并公开期满后，平台只按上述参数和名单指纹公布名单；名单与指纹不符的，不能公布。"
    )


def _propose(actor, obj, *, title: str, intro: str, heading: str, items, amount=None):
    if obj.published_at:
        raise ValidationError(_("已经公布过了。"), code="published")
    ref, url = open_matter(
        actor=actor,
        village=obj.village,
        title=title,
        body=_matter_body(intro, heading, items),
        category=terms.WELFARE_CATEGORIES[0],
        estimated_amount_fen=amount,
    )
    obj.proposed_matter = ref
    obj._history_user = user_of(actor)
    obj.save(update_fields=["proposed_matter"])
    return ref, url


@transaction.atomic
def allocation_propose(*, actor, allocation: Allocation) -> tuple[int, str]:
    """Open the matter that will decide `allocation`: its text carries the terms and the
    fingerprint of the draft list. Returns the matter's id and admin URL."""
    permissions.require(actor, PointsAction.WELFARE_MANAGE, allocation.village)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    items = selectors.allocation_terms(allocation)
    ref, url = _propose(
        actor,
        allocation,
        title=_("%(title)s分配方案") % {"title": allocation.title},
        intro=_("按%(year)s年度户积分分配“%(title)s”，分配办法：%(rule)s")
        % {"year": allocation.year, "title": allocation.title, "rule": allocation.rule_text},
        heading=terms.ALLOCATION,
        items=items,
        amount=allocation.pool_fen,
    )
    audit.record(
        actor=actor,
        action="points.allocation.propose",
        obj=allocation,
        village=allocation.village,
        payload={"matter": ref, "terms": dict(items)},
    )
    return ref, url


@transaction.atomic
def star_round_propose(*, actor, star_round: StarRound) -> tuple[int, str]:
    permissions.require(actor, PointsAction.WELFARE_MANAGE, star_round.village)
    star_round = StarRound.objects.select_for_update().get(pk=star_round.pk)
    items = selectors.star_round_terms(star_round)
    ref, url = _propose(
        actor,
        star_round,
        title=_("%(year)s年度星级文明户评定方案") % {"year": star_round.year},
        intro=_("按%(year)s年度户积分评定星级文明户，评定名单附后。") % {"year": star_round.year},
        heading=terms.STARS,
        items=items,
    )
    audit.record(
        actor=actor,
        action="points.stars.propose",
        obj=star_round,
        village=star_round.village,
        payload={"matter": ref, "terms": dict(items)},
    )
    return ref, url


def deciding_resolution(village, ref, heading: str, items: list, standing=None):
    """The standing resolution `ref` of `village` that decided exactly `items`, or a
    ValidationError that names what is wrong — for the publish forms and their previews.
    `standing`: the village's resolutions when the caller has read them already."""
    standing = resolutions(village) if standing is None else standing
    found = {r.ref: r for r in standing}.get(ref)
    if found is None:
        raise ValidationError(
            {"resolution": _("请选择本村已公开的决议（决定这份名单的村民会议或代表会议决议）。")}
        )
    if found.category not in terms.WELFARE_CATEGORIES:
        raise ValidationError(
            _("“%(title)s”不是集体经济所得收益使用的决议，不能据此公布福利名单。")
            % {"title": found.title}
        )
    if not found.settled:
        raise ValidationError(
            _("“%(title)s”的决议还在公开期（至 %(day)s），期满且异议都答复后才能据此公布。")
            % {"title": found.title, "day": found.settles_on}
        )
    try:
        diff = terms.differences(found.text, heading, items)
    except ValueError as exc:
        if str(exc) == "ambiguous":
            raise ValidationError(
                _(
                    "“%(title)s”的决议文本中%(heading)s有重复或多余的行，或方案以外另写了"
                    "这些项目：名单只能按平台写入的方案公布。"
                )
                % {"title": found.title, "heading": heading}
            ) from exc
        raise ValidationError(
            _("“%(title)s”的决议文本中没有%(heading)s，或不止一份：请由平台发起议题。")
            % {"title": found.title, "heading": heading}
        ) from exc
    if diff:
        parts = [
            _("%(label)s：决议为“%(resolved)s”，本名单为“%(draft)s”")
            % {
                "label": label,
                "resolved": terms.short(resolved) if resolved is not None else _("（未写）"),
                "draft": terms.short(draft),
            }
            for label, resolved, draft in diff
        ]
        raise ValidationError(
            _("名单与决议不一致，不能公布。%(parts)s。") % {"parts": "；".join(parts)},
            code="mismatch",
        )
    return found


def _bind(obj, found, actor) -> None:
    obj.matter_ref = found.ref
    obj.resolution_sha256 = found.text_sha256
    obj.published_at = timezone.now()
    obj._history_user = user_of(actor)


def _used(exc) -> ValidationError:
    return ValidationError(_("这份决议已经用于公布另一份名单。"), code="used")


def allocation_publish(*, actor, allocation: Allocation, resolution: int) -> Allocation:
    """Publish the list under the resolution that decided it; its objection window opens
    (the rule set's 积分公示异议期)."""
    permissions.require(actor, PointsAction.WELFARE_MANAGE, allocation.village)
    try:
        with transaction.atomic():
            return _allocation_publish(actor, allocation, resolution)
    except IntegrityError as exc:  # the resolution's unique index: another list took it
        raise _used(exc) from exc


def _allocation_publish(actor, allocation, resolution) -> Allocation:
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.published_at:
        raise ValidationError(_("已经公布过了。"), code="published")
    items = selectors.allocation_terms(allocation)
    found = deciding_resolution(allocation.village, resolution, terms.ALLOCATION, items)
    _bind(allocation, found, actor)
    days = allocation.village.rules.points_objection_days
    allocation.objection_ends_at = allocation.published_at + timedelta(days=days)
    allocation.save()
    audit.record(
        actor=actor,
        action="points.allocation.publish",
        obj=allocation,
        village=allocation.village,
        payload={
            "pool_fen": allocation.pool_fen,
            "shares_sha256": dict(items)[terms.FINGERPRINT],
            "matter": found.ref,
            "resolution_sha256": found.text_sha256,
            "objection_days": days,
            "objection_ends_at": allocation.objection_ends_at,
        },
    )
    return allocation


def star_round_publish(*, actor, star_round: StarRound, resolution: int) -> StarRound:
    permissions.require(actor, PointsAction.WELFARE_MANAGE, star_round.village)
    try:
        with transaction.atomic():
            return _star_round_publish(actor, star_round, resolution)
    except IntegrityError as exc:
        raise _used(exc) from exc


def _star_round_publish(actor, star_round, resolution) -> StarRound:
    rnd = StarRound.objects.select_for_update().get(pk=star_round.pk)
    if rnd.published_at:
        raise ValidationError(_("已经公布过了。"), code="published")
    items = selectors.star_round_terms(rnd)
    found = deciding_resolution(rnd.village, resolution, terms.STARS, items)
    _bind(rnd, found, actor)
    rnd.published_by = user_of(actor)
    rnd.save()
    audit.record(
        actor=actor,
        action="points.stars.publish",
        obj=rnd,
        village=rnd.village,
        payload={
            "ratings_sha256": dict(items)[terms.FINGERPRINT],
            "matter": found.ref,
            "resolution_sha256": found.text_sha256,
        },
    )
    return rnd


@transaction.atomic
def allocation_object(*, actor, allocation: Allocation, text: str) -> AllocationObjection:
    """A villager of the village (or a 亲情账号 in its household's name) objects to a published
    list while its window is open."""
    permissions.require(actor, PointsAction.OBJECT, allocation.village)
    villager, proxy = permissions.in_name_of(actor, allocation.village)
    if villager is None or villager.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("只有本村在册村民可以提出异议。"))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请写明异议理由。")})
    if len(text) > 1000:
        raise ValidationError({"text": _("异议理由不能超过 1000 字。")})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if not allocation.published_at:
        raise ValidationError(_("名单还没有公布。"), code="not_published")
    if timezone.now() >= allocation.objection_ends_at:
        raise ValidationError(_("公示期已结束，不能再提出异议。"), code="closed")
    objection = AllocationObjection.objects.create(
        allocation=allocation, villager=villager, proxy=proxy, text=text
    )
    audit.record(
        actor=actor,
        action="points.allocation.object",
        obj=objection,
        village=allocation.village,
        payload={"allocation": allocation.pk, "text": text, **permissions.proxy_mark(proxy)},
    )
    return objection


@transaction.atomic
def allocation_objection_answer(
    *, actor, objection: AllocationObjection, answer: str
) -> AllocationObjection:
    permissions.require(actor, PointsAction.ANSWER, objection.allocation.village)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复内容。")})
    objection = AllocationObjection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered_at:
        raise ValidationError(_("该异议已经答复过。"), code="answered")
    objection.answer = answer[:2000]
    objection.answered_by = user_of(actor)
    objection.answered_at = timezone.now()
    objection._history_user = user_of(actor)
    objection.save()
    audit.record(
        actor=actor,
        action="points.allocation.answer",
        obj=objection,
        village=objection.allocation.village,
        payload={"allocation": objection.allocation_id, "answer": objection.answer[:500]},
    )
    return objection
