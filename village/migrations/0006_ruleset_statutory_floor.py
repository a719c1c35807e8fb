"""The adult age of a rule set is 18 to 21: never below 村民委员会组织法 Art. 13 (年满十八周岁).

A rule set still below 18 (the old floor was 16) would stop the new constraint; the statute
leaves no choice, so it is raised to 18 here, with a history row saying why.
"""

from django.db import migrations, models
from django.utils import timezone

REASON = "法定成年年龄：《村民委员会组织法》第十三条（迁移 0006）"


def raise_adult_age_to_statute(apps, schema_editor):
    RuleSet = apps.get_model("village", "RuleSet")
    HistoricalRuleSet = apps.get_model("village", "HistoricalRuleSet")
    copied = [f.attname for f in RuleSet._meta.concrete_fields]
    for ruleset in RuleSet.objects.filter(adult_age__lt=18):
        ruleset.adult_age = 18
        ruleset.save(update_fields=["adult_age"])
        HistoricalRuleSet.objects.create(
            **{name: getattr(ruleset, name) for name in copied},
            history_date=timezone.now(),
            history_type="~",
            history_change_reason=REASON,
        )


class Migration(migrations.Migration):
    dependencies = [("village", "0005_documents_append_only")]

    operations = [
        migrations.RunPython(raise_adult_age_to_statute, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="ruleset", name="ruleset_adult_age"),
        migrations.AddConstraint(
            model_name="ruleset",
            constraint=models.CheckConstraint(
                condition=models.Q(("adult_age__gte", 18), ("adult_age__lte", 21)),
                name="ruleset_adult_age",
            ),
        ),
    ]
