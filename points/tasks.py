"""Background work of the points app (django-tasks: the database backend and `manage.py
db_worker` in `make run`, the immediate backend in tests): every household's passbook of a
year, one document per household, the households split into parts that several workers take
at once."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_tasks import task

from village import permissions
from village.documents import batch as batch_runner
from village.models import DocumentBatch, DocumentKind, Village
from village.permissions import user_of

from . import documents
from .permissions import PointsAction

# Households per task: a part takes a worker about half a minute, so a village's batch spreads
# over every worker and a stopped worker loses little.
PART_SIZE = 50


@task()
def statements_part(batch_id: int, part: int, household_ids: list[int]) -> int:
    """One part of the batch: its households' passbooks; progress on the DocumentBatch row."""
    return documents.statements_part_run(batch_id, part, household_ids)


def statements_batch_start(*, actor, village: Village, year: int) -> DocumentBatch:
    """Queue every active household's passbook of `year`; a run for the same village and year
    still in progress is returned instead of starting a second one."""
    permissions.require(actor, PointsAction.VIEW, village)
    year = documents.check_year(year)
    running = batch_runner.in_progress(village=village, kind=DocumentKind.STATEMENTS, year=year)
    if running is not None:
        return running
    ids = list(
        documents.active_households(village).order_by("number", "pk").values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationError(_("本村没有在册的户。"), code="empty")
    batch = DocumentBatch.objects.create(
        village=village,
        kind=DocumentKind.STATEMENTS,
        params={"year": year, "parts": {}},
        requested_by=user_of(actor),
        total=len(ids),
    )
    # The batch row is written before the task rows (in the caller's transaction, if any), so a
    # database worker never finds a task without its batch; the immediate backend runs them here.
    for part, household_ids in enumerate(batch_runner.parts_of(ids, PART_SIZE)):
        statements_part.enqueue(batch.pk, part, household_ids)
    return batch
