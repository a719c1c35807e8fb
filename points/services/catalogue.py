"""New catalogue versions: drafted, edited while a draft, adopted by a published resolution."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village.extensions import resolutions
from village.models import Village
from village.permissions import user_of

from .. import selectors
from ..models import (
    Catalogue,
    Category,
    Rule,
)
from ..permissions import PointsAction


def _draft(catalogue: Catalogue) -> Catalogue:
    catalogue = Catalogue.objects.select_for_update().get(pk=catalogue.pk)
    if not catalogue.is_draft:
        raise ValidationError(_("已通过的积分细则不能修改，请起草新版本。"), code="adopted")
    return catalogue


@transaction.atomic
def catalogue_draft(*, actor, village: Village, title: str = "") -> Catalogue:
    """A new draft version, its rules copied from the newest adopted catalogue."""
    permissions.require(actor, PointsAction.CATALOGUE_DRAFT, village)
    Village.objects.select_for_update().filter(pk=village.pk).first()  # one draft at a time
    if Catalogue.objects.filter(village=village, adopted_at__isnull=True).exists():
        raise ValidationError(_("本村已有一份积分细则草案，请先修改或通过它。"), code="exists")
    base = (
        Catalogue.objects.filter(village=village, adopted_at__isnull=False)
        .order_by("-effective_from", "-version")
        .first()
    )
    title = (title or "").strip() or (base.title if base else _("积分制管理细则"))
    last = Catalogue.objects.filter(village=village).order_by("-version").first()
    draft = Catalogue(
        village=village,
        version=(last.version if last else 0) + 1,
        title=title[:100],
        effective_from=timezone.localdate(),  # set for real when adopted
    )
    draft._history_user = user_of(actor)
    draft.save()
    copied = []
    for rule in base.rules.all() if base else []:
        copy = Rule(
            catalogue=draft,
            **{f: getattr(rule, f) for f in ("category_id", *selectors.RULE_FIELDS)},
        )
        copy._history_user = user_of(actor)
        copy.save()
        copied.append(rule.code)
    audit.record(
        actor=actor,
        action=PointsAction.CATALOGUE_DRAFT,  # the audit event is named as the action
        obj=draft,
        village=village,
        payload={
            "version": draft.version,
            "title": draft.title,
            "based_on": base.version if base else None,
            "rules": len(copied),
        },
    )
    return draft


@transaction.atomic
def catalogue_rule_save(
    *, actor, catalogue: Catalogue, data: dict, rule: Rule | None = None
) -> Rule:
    """Add a rule to a draft, or change one of its rules. `data`: the RULE_FIELDS and either
    `category` (an existing category of the village, by id) or `new_category` (a name)."""
    permissions.require(actor, PointsAction.CATALOGUE_DRAFT, catalogue.village)
    catalogue = _draft(catalogue)
    if rule is not None and rule.catalogue_id != catalogue.pk:
        raise ValidationError(_("该规则不属于这份草案。"), code="foreign")
    before = selectors.rule_facts(rule) if rule is not None else None
    rule = rule or Rule(catalogue=catalogue)
    new_category = (data.get("new_category") or "").strip()
    if new_category:
        category = Category.objects.filter(village=catalogue.village, name=new_category).first()
        if category is None:
            last = Category.objects.filter(village=catalogue.village).order_by("-order").first()
            category = Category(
                village=catalogue.village,
                name=new_category[:40],
                order=(last.order if last else 0) + 1,
            )
            category._history_user = user_of(actor)
            category.full_clean()
            category.save()
    else:
        category = Category.objects.filter(
            village=catalogue.village, pk=data.get("category") or None
        ).first()
        if category is None:
            raise ValidationError({"category": _("请选择类别或填写新类别。")})
    rule.category = category
    for name in selectors.RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.code = (rule.code or "").strip().upper()
    rule.text = (rule.text or "").strip()
    rule.article = (rule.article or "").strip()
    if rule.points == 0:
        raise ValidationError({"points": _("分值不能为 0。")})
    rule.full_clean()
    rule._history_user = user_of(actor)
    rule.save()
    audit.record(
        actor=actor,
        action="points.catalogue.rule",
        obj=catalogue,
        village=catalogue.village,
        payload={
            "version": catalogue.version,
            "before": before,
            "after": selectors.rule_facts(rule),
        },
    )
    return rule


@transaction.atomic
def catalogue_rule_remove(*, actor, rule: Rule) -> None:
    """Take a rule out of a draft (no entry can cite a draft's rule)."""
    catalogue = rule.catalogue
    permissions.require(actor, PointsAction.CATALOGUE_DRAFT, catalogue.village)
    catalogue = _draft(catalogue)
    facts = selectors.rule_facts(rule)
    rule._history_user = user_of(actor)
    rule.delete()
    audit.record(
        actor=actor,
        action="points.catalogue.rule",
        obj=catalogue,
        village=catalogue.village,
        payload={"version": catalogue.version, "before": facts, "after": None},
    )


@transaction.atomic
def catalogue_adopt(
    *, actor, catalogue: Catalogue, resolution: int, effective_from: date
) -> Catalogue:
    """Adopt a draft by the published resolution that passed it, in effect from a day no
    earlier than that resolution, today, or the start of any catalogue already adopted."""
    village = catalogue.village
    permissions.require(actor, PointsAction.CATALOGUE_DRAFT, village)
    catalogue = _draft(catalogue)
    passed = {r.ref: r for r in resolutions(village)}.get(resolution)
    if passed is None:
        raise ValidationError(
            {"resolution": _("请选择本村已公开的决议（通过该细则的村民会议或代表会议决议）。")}
        )
    if not catalogue.rules.exists():
        raise ValidationError(_("草案还没有规则。"), code="empty")
    earliest = max(timezone.localdate(), passed.published_on)
    latest = (
        Catalogue.objects.filter(village=village, adopted_at__isnull=False)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    if latest is not None and latest >= earliest:
        earliest = latest + timedelta(days=1)
    if effective_from < earliest:
        raise ValidationError(
            {
                "effective_from": _(
                    "生效日期不能早于 %(day)s（决议公开之日、今天，或现行细则的生效日期之后）。"
                )
                % {"day": earliest.isoformat()}
            }
        )
    catalogue.effective_from = effective_from
    catalogue.adopted_matter = passed.ref
    catalogue.adopted_by = (
        _("%(title)s（%(day)s 公开的决议）")
        % {"title": passed.title, "day": passed.published_on.isoformat()}
    )[:200]
    catalogue.adopted_at = timezone.now()
    catalogue._history_user = user_of(actor)
    catalogue.save()
    audit.record(
        actor=actor,
        action="points.catalogue.adopt",
        obj=catalogue,
        village=village,
        payload={
            "version": catalogue.version,
            "effective_from": effective_from,
            "resolution": passed.ref,
            "rules": catalogue.rules.count(),
            "rules_sha256": selectors.rules_fingerprint(catalogue),
        },
    )
    return catalogue
