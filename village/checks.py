"""System checks of the village core's data. Run by a plain `manage.py check` too (issue 13:
a rule set looser than the statute must show there); a database that is missing, unmigrated
or unreachable gives no warning rather than an error."""

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

from . import statute
from .models import RuleSet


@checks.register()
def rule_sets_meet_the_statute(app_configs=None, databases=None, **kwargs):
    """A Warning per rule of a rule set below its statutory floor (a row written around the
    model's validation, or before the floors existed)."""
    if app_configs is not None and not any(c.name == "village" for c in app_configs):
        return []
    warnings = []
    for alias in databases or [DEFAULT_DB_ALIAS]:
        try:
            # A savepoint: a missing table must not break a transaction around the check.
            with transaction.atomic(using=alias):
                rulesets = list(RuleSet.objects.using(alias).select_related("village"))
        except DatabaseError:
            continue  # not migrated yet, or unreachable: nothing to judge
        for ruleset in rulesets:
            for breach in statute.breaches(ruleset):
                warnings.append(
                    checks.Warning(
                        f"{breach.field} = {breach.value!r} is looser than the floor "
                        f"{breach.floor} ({breach.article})",
                        hint="Raise it in the admin (议事规则); `manage.py check_rules` lists all.",
                        obj=ruleset,
                        id="village.W001",
                    )
                )
    return warnings
