"""Writes of tenancy: villages and their rule sets."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import (
    RuleSet,
    Township,
    Village,
)
from ..permissions import Action, require, user_of
from .changes import apply_changes

# --- villages -----------------------------------------------------------------


@transaction.atomic
def village_create(*, actor, township: Township, name: str, code: str, **rules) -> Village:
    if not getattr(actor, "is_superuser", False):
        require(actor, Action.CHANGE_RULES, Village(township=township))
    village = Village(township=township, name=name, code=code, seal_number=code.upper())
    village.full_clean()
    village.save()
    ruleset = RuleSet(village=village, created_by=user_of(actor), **rules)
    ruleset.full_clean()
    ruleset.save()
    audit.record(actor=actor, action="village.village.create", obj=village, payload={"name": name})
    return village


def ruleset_create(*, actor, **fields) -> RuleSet:
    """Refused: a rule set is created with its village (`village_create`), never on its own."""
    raise PermissionDenied


# What a new version takes from the one it amends: the values, not the bookkeeping.
_BOOKKEEPING = {"id", "village", "version", "effective_from", "reason", "created_at", "created_by"}


@transaction.atomic
def ruleset_update(
    *, actor, ruleset: RuleSet, effective_from=None, reason: str = "", **changes
) -> RuleSet:
    """A new version of the village's rule set: `ruleset`'s values with `changes`, in force from
    `effective_from` (today by default, never earlier: a change never re-judges what was held
    before it). The version amended is kept as it was; nothing changed makes no version."""
    require(actor, Action.CHANGE_RULES, ruleset.village)
    village = Village.objects.select_for_update().get(pk=ruleset.village_id)
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationError(
            {"effective_from": _("生效日期不能早于今天：已经召开的会议按当时的规则判定。")},
            code="retroactive",
        )
    # The next version amends the latest, whichever version the form showed: a change made from
    # an older one never quietly undoes what came after it.
    base = RuleSet.objects.filter(village=village).order_by("-version").first()
    if effective_from < base.effective_from:
        raise ValidationError(
            {
                "effective_from": _(
                    "生效日期不能早于第 %(n)s 版的生效日期（%(day)s）：各版规则按制定先后生效。"
                )
                % {"n": base.version, "day": base.effective_from}
            },
            code="order",
        )
    values = {
        f.name: getattr(base, f.attname)
        for f in RuleSet._meta.concrete_fields
        if f.name not in _BOOKKEEPING
    }
    new = RuleSet(village=village, **values)
    diff = apply_changes(new, changes)
    if not diff:
        return base
    new.version = base.version + 1
    new.effective_from = effective_from
    new.reason = (reason or "").strip()[:200]
    new.created_by = user_of(actor)
    new.created_at = timezone.now()
    new.full_clean()
    new.save()
    village.forget_rules()
    ruleset.village.forget_rules()
    audit.record(
        actor=actor,
        action="village.rules.update",
        obj=new,
        village=village,
        payload={
            "version": new.version,
            "amends": base.version,
            "effective_from": effective_from,
            "reason": new.reason,
            "changes": diff,
            "sources": {k: RuleSet.source(k) for k in diff},
        },
    )
    return new
