"""Write the grid events' escalations to the chain and tell the secretaries (run it every few
minutes from cron or the task worker; the homes read the deadlines themselves meanwhile)."""

from django.core.management.base import BaseCommand

from grid.services import events_escalate


class Command(BaseCommand):
    help = "Escalate late grid events (随手拍) to the secretary, then the township."

    def handle(self, *args, **options):
        count = events_escalate()
        self.stdout.write(f"escalated {count}")
