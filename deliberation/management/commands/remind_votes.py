"""Remind those on a vote's list who have not voted, once, when it closes within a day (for
cron, hourly; the messages go out through the outbox)."""

from django.core.management.base import BaseCommand

from deliberation.services.reminders import votes_closing_remind


class Command(BaseCommand):
    help = "投票截止前一天，提醒名单上还没有投票的人（每次投票只提醒一次）。"

    def handle(self, *args, **options):
        self.stdout.write(f"votes reminded: {votes_closing_remind()}")
