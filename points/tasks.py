"""Background work of the points app (django-tasks: the database backend and `manage.py
db_worker` in `make run`, the immediate backend in tests): the yearly book of every household's
passbook, and queueing it."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from village import permissions
from village.documents import batch as batch_runner
from village.models import BatchStatus, DocumentBatch, DocumentKind, Village
from village.permissions import user_of

from . import documents
from .permissions import PointsAction


@task()
def statements_book(batch_id: int) -> int | None:
    """Every household's passbook of a year as one book; progress on the DocumentBatch row."""
    return documents.statements_batch_run(batch_id)


def statements_batch_start(*, actor, village: Village, year: int) -> DocumentBatch:
    """Queue the book of every active household's passbook of `year`; a run for the same
    village and year still in progress is returned instead of starting a second one."""
    permissions.require(actor, PointsAction.VIEW, village)
    year = documents.check_year(year)
    running = (
        DocumentBatch.objects.filter(
            village=village,
            kind=DocumentKind.STATEMENTS,
            params__year=year,
            status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING],
            requested_at__gte=timezone.now() - batch_runner.STALE_AFTER,
        )
        .order_by("-requested_at")
        .first()
    )
    if running is not None:
        return running
    n = documents.active_households(village).count()
    if not n:
        raise ValidationError(_("本村没有在册的户。"), code="empty")
    batch = DocumentBatch.objects.create(
        village=village,
        kind=DocumentKind.STATEMENTS,
        params={"year": year},
        requested_by=user_of(actor),
        total=2 * n + 1,
    )
    # The batch row is written before the task row (in the caller's transaction, if any), so a
    # database worker never finds the task without its batch; the immediate backend runs it here.
    statements_book.enqueue(batch.pk)
    return batch
