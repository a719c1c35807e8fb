"""Running one long document (a book of many parts) as a background task, with progress.

The DocumentBatch row is the task's state: queued → running → done (linked to the document) or
failed (with the error). `batch_run` claims a queued batch once (a retried task does nothing),
lets the app build the document, and records the outcome; `Progress` writes the count of steps
done without hammering the database; `LayoutProgress` turns WeasyPrint's progress log into
steps (each page laid out, then the start of the PDF writing).
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from ..models import BatchStatus, Document, DocumentBatch

# A run still queued or running after this long is taken as dead (e.g. the worker was stopped):
# a new request starts a new run instead of waiting on it.
STALE_AFTER = timedelta(hours=1)
PROGRESS_EVERY = 0.5  # seconds between progress writes, so the database is not hammered

logger = logging.getLogger(__name__)


class Progress:
    """Writes `done` at most every PROGRESS_EVERY seconds (and always when told to)."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.done = 0
        self.written = 0
        self.at = 0.0

    def set(self, done: int, *, force: bool = False) -> None:
        self.done = max(self.done, done)
        now = time.monotonic()
        if self.done != self.written and (force or now - self.at >= PROGRESS_EVERY):
            DocumentBatch.objects.filter(pk=self.batch_id).update(done=self.done)
            self.written, self.at = self.done, now


class LayoutProgress(logging.Handler):
    """Follows WeasyPrint's "weasyprint.progress" log in this thread: each page laid out, then
    the start of the PDF writing."""

    lock = threading.Lock()
    users = 0

    def __init__(self, *, on_page, on_write):
        super().__init__(logging.INFO)
        self.on_page, self.on_write = on_page, on_write
        self.thread = threading.get_ident()

    def emit(self, record):
        if threading.get_ident() != self.thread:
            return
        message = str(record.msg)
        try:
            if message.startswith("Step 5 - Creating layout - Page") and record.args:
                self.on_page(int(record.args[0]))
            elif message.startswith("Step 6 - Creating PDF"):
                self.on_write()
        except Exception:  # progress is a nicety; the render must not fail because of it
            logger.exception("batch progress")

    def __enter__(self):
        log = logging.getLogger("weasyprint.progress")
        with self.lock:
            type(self).users += 1
            log.setLevel(logging.INFO)
            log.propagate = False
        log.addHandler(self)
        return self

    def __exit__(self, *exc):
        log = logging.getLogger("weasyprint.progress")
        log.removeHandler(self)
        with self.lock:
            type(self).users -= 1
            if not type(self).users:
                log.setLevel(logging.NOTSET)
                log.propagate = True


def batch_run(
    batch_id: int, build: Callable[[DocumentBatch, Progress], tuple[Document, int]]
) -> int | None:
    """Run a queued batch once: `build(batch, progress)` makes and issues the document and
    returns it with the final number of steps. Returns the document's id, or None when the batch
    was already run or is running elsewhere; a failure is recorded on the batch (and re-raised).
    """
    claimed = DocumentBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING, done=0, error=""
    )
    if not claimed:
        return None
    batch = DocumentBatch.objects.select_related("village__township", "requested_by").get(
        pk=batch_id
    )
    try:
        document, total = build(batch, Progress(batch.pk))
    except Exception as exc:
        DocumentBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            error=(str(exc) or type(exc).__name__)[:2000],
            finished_at=timezone.now(),
        )
        raise
    DocumentBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE,
        done=total,
        total=total,
        document=document,
        finished_at=timezone.now(),
    )
    return document.pk
