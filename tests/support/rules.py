"""Setting a village's rules in a test: a new version of its rule set, as a row.

Rule set versions are never changed (village migration 0012): a test that wants other rules
writes the next version — around the services, as a test's setting or an attacker's insert
would — in force from the first version's day unless told otherwise, so it applies to every
meeting of the test as an in-place change used to."""

from django.db.models import Max

from village.models import RuleSet
from village.models.tenancy import FIRST_EFFECTIVE

BOOKKEEPING = {"id", "village", "version", "effective_from", "reason", "created_at", "created_by"}


def amend(village, *, effective_from=FIRST_EFFECTIVE, reason="", **changes) -> RuleSet:
    latest = RuleSet.objects.filter(village=village).order_by("-version").first()
    values = {
        f.name: getattr(latest, f.attname)
        for f in RuleSet._meta.concrete_fields
        if f.name not in BOOKKEEPING
    }
    values.update(changes)
    number = RuleSet.objects.filter(village=village).aggregate(n=Max("version"))["n"]
    version = RuleSet.objects.create(
        village=village,
        version=number + 1,
        effective_from=effective_from,
        reason=reason,
        **values,
    )
    village.forget_rules()
    return version
