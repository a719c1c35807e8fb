"""Send the outbox's due push and SMS deliveries: what the `outbox_send` task does, for a timer
(cron, a systemd timer) beside or instead of `db_worker`. Safe to run on several machines at
once: each delivery is claimed before it is sent."""

from django.core.management.base import BaseCommand

from village import sending


class Command(BaseCommand):
    help = "发送到期的手机推送和短信（每条只发一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="rows per pass")
        parser.add_argument(
            "--until-empty", action="store_true", help="repeat passes until nothing is due"
        )

    def handle(self, *args, limit, until_empty, **options):
        total = sending.Report()
        while True:
            report = sending.deliveries_send_due(limit=limit)
            for name in ("sent", "retry", "failed", "skipped", "deferred", "unknown"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            handled = report.sent + report.retry + report.failed + report.skipped
            if not until_empty or handled == 0:
                break
        self.stdout.write(
            f"sent={total.sent} retry={total.retry} failed={total.failed} "
            f"skipped={total.skipped} deferred={total.deferred} unknown={total.unknown}"
        )
