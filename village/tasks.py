"""Background work of the village core: the outbox's sender (village/sending.py) as a
django-tasks task. `db_worker` runs it when a message is written and again when its retries
or quiet hours are due; `manage.py send_outbox` does the same from a timer."""

from django.db import transaction
from django_tasks import default_task_backend, task

from . import sending


@task()
def outbox_send() -> int:
    """Send what is due; wake again when the next row falls due. Returns the rows sent."""
    report = sending.deliveries_send_due()
    if report.next_due is not None and default_task_backend.supports_defer:
        outbox_send.using(run_after=report.next_due).enqueue()
    return report.sent


def outbox_wake() -> None:
    """Start the sender once the caller's transaction has written its rows."""
    transaction.on_commit(outbox_send.enqueue)
