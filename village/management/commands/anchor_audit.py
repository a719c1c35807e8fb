from django.core.management.base import BaseCommand

from village import audit


class Command(BaseCommand):
    help = (
        "Write every village chain's head into its township's chain (for cron, daily); "
        "villages whose head has not moved since their last anchor are skipped."
    )

    def handle(self, *args, **options):
        count = audit.anchor_all(reason="daily")
        self.stdout.write(self.style.SUCCESS(f"anchored {count} village chain(s)"))
