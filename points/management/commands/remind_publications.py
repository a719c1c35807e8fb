"""Remind the households with entries in a points list, once, when its objection window
closes within a day (for cron, hourly; the messages go out through the outbox)."""

from django.core.management.base import BaseCommand

from points.services.publications import publications_closing_remind


class Command(BaseCommand):
    help = "积分公示异议期截止前一天，提醒公示中有记录的户（每次公示只提醒一次）。"

    def handle(self, *args, **options):
        self.stdout.write(f"points lists reminded: {publications_closing_remind()}")
