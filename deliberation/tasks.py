"""Background work of the procedure (django-tasks, as points/tasks.py): a matter's audit trail
PDF when it is long — past `CUNZHI_AUDIT_PDF_SYNC_EVENTS` events it is rendered by a worker
(`manage.py db_worker`) and the inspector's page waits for it; a short one is printed at once."""

from django.conf import settings
from django_tasks import task

from village import permissions
from village.documents import batch as batch_runner
from village.models import DocumentBatch, DocumentKind
from village.permissions import user_of

from . import documents, selectors
from .models import Matter
from .permissions import DeliberationAction
from .trail import trail_events

# More audit events than this and the trail's PDF is made in the background. Measured at demo
# size (bench/admin_pages.py): a first print renders in 0.8–1 s with 5–18 events, 2.8 s with
# 48, 7 s with 198, 41 s with 927 (a villagers' vote cast online).
AUDIT_PDF_SYNC_EVENTS = 10


def audit_pdf_in_background(matter: Matter) -> bool:
    """Whether the matter's audit trail is long enough to be printed by a worker."""
    limit = getattr(settings, "CUNZHI_AUDIT_PDF_SYNC_EVENTS", AUDIT_PDF_SYNC_EVENTS)
    return trail_events(matter).count() > limit


@task()
def audit_trail_pdf(batch_id: int) -> int | None:
    """Issue the audit trail of the batch's matter, sealed as when printed at once."""

    def build(batch, progress):
        matter = selectors.matter_detail(batch.params["matter"])
        return documents.audit_trail(actor=batch.requested_by, matter=matter), 1

    return batch_runner.batch_run(batch_id, build)


def audit_trail_start(*, actor, matter: Matter) -> DocumentBatch:
    """Queue the matter's audit trail PDF; a run for the same matter still in progress is
    returned instead of starting a second one."""
    permissions.require(actor, DeliberationAction.MATTER_VIEW, matter.village)
    permissions.require(actor, permissions.Action.VIEW_AUDIT, matter.village)
    running = batch_runner.in_progress(
        village=matter.village, kind=DocumentKind.AUDIT_TRAIL, matter=matter.pk
    )
    if running is not None:
        return running
    batch = DocumentBatch.objects.create(
        village=matter.village,
        kind=DocumentKind.AUDIT_TRAIL,
        params={"matter": matter.pk},
        requested_by=user_of(actor),
        total=1,
    )
    # The batch row is written before the task row, so a worker never finds one without it.
    audit_trail_pdf.enqueue(batch.pk)
    return batch
