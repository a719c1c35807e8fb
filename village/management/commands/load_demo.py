from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from village.demo import MAIN, DemoBuilder
from village.models import Village


class Command(BaseCommand):
    help = "Load the demo township (东毛铺村 and 西河村) with its demo accounts; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo refuses to run with DEBUG off; pass --force if you mean it"
            )
        if Village.objects.filter(code=MAIN.code).exists():
            self.stdout.write("demo already loaded; nothing to do")
            return
        self.stdout.write("loading the demo township…")
        builder = DemoBuilder(stdout=self.stdout)
        builder.build()
        builder.finish()
        self.stdout.write(self.style.SUCCESS("demo loaded; accounts use the password demo12345"))
