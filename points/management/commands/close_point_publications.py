from django.core.management.base import BaseCommand

from points import selectors, services
from village.permissions import SYSTEM


class Command(BaseCommand):
    help = "Post every monthly points publication whose objection window has ended (cron)."

    def handle(self, *args, **options):
        for publication in selectors.publications_due():
            posted = services.publication_close(actor=SYSTEM, publication=publication)
            self.stdout.write(f"{publication.village.name} {publication}: {len(posted)} posted")
