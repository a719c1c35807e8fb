from django.core.management.base import BaseCommand

from points import services


class Command(BaseCommand):
    help = "Post every monthly points publication whose objection window has ended (cron)."

    def handle(self, *args, **options):
        for publication in services.publications_due():
            posted = services.publication_close(actor=None, publication=publication)
            self.stdout.write(f"{publication.village.name} {publication}: {len(posted)} posted")
