from django.core.management.base import BaseCommand, CommandError

from points.models import Account
from points.selectors import balances_differing


def _kept(account) -> str:
    """PostgreSQL keeps its own running total of the posted entries (migration 0005)."""
    kept = getattr(account, "kept", None)
    return "" if kept is None else f", the database's running total is {kept}"


class Command(BaseCommand):
    help = (
        "Recompute every points balance from its posted entries; exit non-zero naming the "
        "accounts whose materialised balance differs."
    )

    def handle(self, *args, **options):
        differing = balances_differing()
        if differing:
            for account, total in differing:
                self.stderr.write(
                    f"BAD account id={account.pk} village={account.village.name} "
                    f"household={account.household.number}: balance {account.balance}, "
                    f"posted entries sum to {total}" + _kept(account)
                )
            raise CommandError(f"{len(differing)} account(s) differ from their entries")
        count = Account.objects.count()
        self.stdout.write(self.style.SUCCESS(f"ledger consistent ({count} accounts)"))
