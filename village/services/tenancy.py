"""Writes of tenancy: villages and their rule sets."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import audit
from ..models import (
    RuleSet,
    Township,
    Village,
)
from ..permissions import Action, require
from .changes import apply_changes

# --- villages -----------------------------------------------------------------


@transaction.atomic
def village_create(*, actor, township: Township, name: str, code: str, **rules) -> Village:
    if not getattr(actor, "is_superuser", False):
        require(actor, Action.CHANGE_RULES, Village(township=township))
    village = Village(township=township, name=name, code=code, seal_number=code.upper())
    village.full_clean()
    village.save()
    ruleset = RuleSet(village=village, **rules)
    ruleset.full_clean()
    ruleset.save()
    audit.record(actor=actor, action="village.village.create", obj=village, payload={"name": name})
    return village


def ruleset_create(*, actor, **fields) -> RuleSet:
    """Refused: a rule set is created with its village (`village_create`), never on its own."""
    raise PermissionDenied


@transaction.atomic
def ruleset_update(*, actor, ruleset: RuleSet, **changes) -> RuleSet:
    require(actor, Action.CHANGE_RULES, ruleset.village)
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    diff = apply_changes(ruleset, changes)
    ruleset.full_clean()
    ruleset.save()
    if diff:
        audit.record(
            actor=actor,
            action="village.rules.update",
            obj=ruleset,
            village=ruleset.village,
            payload={"changes": diff, "sources": {k: RuleSet.source(k) for k in diff}},
        )
    return ruleset
