from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from points import services
from village.models import Village
from village.permissions import SYSTEM


class Command(BaseCommand):
    help = (
        "Open the points year (base points, and the reset where the rule set asks for it) in "
        "every village, or in one (--village CODE). Idempotent: run it from cron on 1 January; "
        "households registered later get their base points when it runs again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="default: this year")
        parser.add_argument("--village", default=None, help="a village's code")

    def handle(self, *args, year=None, village=None, **options):
        year = year or timezone.localdate().year
        villages = Village.objects.order_by("pk")
        if village:
            villages = villages.filter(code=village)
            if not villages.exists():
                raise CommandError(f"no village with code {village!r}")
        failed = 0
        for v in villages:
            try:
                opened = services.year_open(actor=SYSTEM, village=v, year=year)
            except ValidationError as exc:
                failed += 1
                self.stderr.write(f"{v.name}: {'；'.join(exc.messages)}")
                continue
            self.stdout.write(f"{v.name} {year}: {opened} accounts opened")
        if failed:
            raise CommandError(f"{failed} village(s) not opened")
