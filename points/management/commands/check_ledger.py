from django.core.management.base import BaseCommand, CommandError

from points.models import Account
from points.selectors import balances_differing, year_scores_differing


def _kept(account) -> str:
    """PostgreSQL keeps its own running total of the posted entries (migration 0005)."""
    kept = getattr(account, "kept", None)
    return "" if kept is None else f", the database's running total is {kept}"


class Command(BaseCommand):
    help = (
        "Recompute every points balance (and on PostgreSQL every year score the database keeps) "
        "from the posted entries; exit non-zero naming the accounts that differ."
    )

    def handle(self, *args, **options):
        differing = balances_differing()
        for account, total in differing:
            self.stderr.write(
                f"BAD account id={account.pk} village={account.village.name} "
                f"household={account.household.number}: balance {account.balance}, "
                f"posted entries sum to {total}" + _kept(account)
            )
        scores = year_scores_differing()
        for household_id, year, kept, total in scores:
            self.stderr.write(
                f"BAD year score household id={household_id} year={year}: the database keeps "
                f"{kept}, the posted entries sum to {total}"
            )
        failures = [
            f"{count} {what} differ from their entries"
            for count, what in ((len(differing), "account(s)"), (len(scores), "year score(s)"))
            if count
        ]
        if failures:
            raise CommandError("; ".join(failures))
        count = Account.objects.count()
        self.stdout.write(self.style.SUCCESS(f"ledger consistent ({count} accounts)"))
