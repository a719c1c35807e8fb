from django.core.management.base import BaseCommand, CommandError

from village import statute
from village.models import RuleSet


class Command(BaseCommand):
    help = (
        "List every rule of every village's rule set that is looser than its statutory floor "
        "(village, field, value, floor, article); exit non-zero when there is one."
    )

    def handle(self, *args, **options):
        rulesets = RuleSet.objects.select_related("village").order_by("village__code")
        looser = 0
        for ruleset in rulesets:
            for breach in statute.breaches(ruleset):
                looser += 1
                self.stderr.write(
                    f"LOOSER {ruleset.village} ({ruleset.village.code}): {breach.field} = "
                    f"{breach.value!r}, floor {breach.floor}, {breach.article}"
                )
        if looser:
            raise CommandError(f"{looser} rule(s) looser than the statute")
        self.stdout.write(
            self.style.SUCCESS(f"every rule set meets the statutory floors ({rulesets.count()})")
        )
