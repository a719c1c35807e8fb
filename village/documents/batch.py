"""Running one long document (a book of many parts) as a background task, with progress.

The DocumentBatch row is the task's state: queued → running → done (linked to the document) or
failed (with the error). `batch_run` claims a queued batch once (a retried task does nothing),
lets the app build the document, and records the outcome; `Progress` writes the count of steps
done without hammering the database; `LayoutProgress` turns WeasyPrint's progress log into
steps (each page laid out, then the start of the PDF writing).

A batch of many documents (one per item, e.g. one passbook per household) is split into parts
that several `db_worker` processes run in parallel: `part_run` issues one part's documents one
by one (each rendered and stored on its own, so memory does not grow with the batch), and
records in `params["parts"]` which item got which document — a retried part skips the items
already issued, and `done` is the number of items issued. `zip_stream` streams the documents as
one zip for download.
"""

import logging
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from django.db import transaction
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


def in_progress(*, village, kind: str, **params) -> DocumentBatch | None:
    """The latest run of `kind` for `village` with these params still queued or running (and not
    stale): a second request for the same documents gets it instead of starting another."""
    return (
        DocumentBatch.objects.filter(
            village=village,
            kind=kind,
            status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING],
            requested_at__gte=timezone.now() - STALE_AFTER,
            **{f"params__{name}": value for name, value in params.items()},
        )
        .order_by("-requested_at")
        .first()
    )


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


# --- a batch of many documents, in parts -------------------------------------------------------


def parts_of(items: list[int], size: int) -> list[list[int]]:
    """The batch's items cut into parts of `size` (one background task each)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def _record(batch_id: int, part: str, issued: dict[str, int | None]) -> None:
    """Add one part's issued documents (item → document id, None when there was nothing to
    issue) to the batch, under the row's lock: parts finishing at once do not lose each
    other's record. The part that brings `done` to `total` marks the batch done."""
    with transaction.atomic():
        batch = DocumentBatch.objects.select_for_update().get(pk=batch_id)
        parts = batch.params.setdefault("parts", {})
        parts[part] = {**parts.get(part, {}), **issued}
        done = min(sum(len(p) for p in parts.values()), batch.total)
        fields = {"params": batch.params, "done": done}
        if done >= batch.total and batch.status != BatchStatus.DONE:
            fields.update(status=BatchStatus.DONE, error="", finished_at=timezone.now())
        DocumentBatch.objects.filter(pk=batch_id).update(**fields)


def part_run(
    batch_id: int,
    *,
    part: int,
    items: list[int],
    issue_one: Callable[[DocumentBatch, int], Document | None],
) -> int:
    """Issue one part of a batch: `issue_one(batch, item)` for each item this part has not
    issued yet (a retried part skips them), progress written at most every PROGRESS_EVERY
    seconds and at the end. Returns how many items this run issued; a failure marks the batch
    failed (what was issued before it still counts) and is re-raised."""
    DocumentBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING
    )
    batch = (
        DocumentBatch.objects.select_related("village__township", "requested_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None or batch.status == BatchStatus.DONE:
        return 0
    key = str(part)
    seen = batch.params.get("parts", {}).get(key, {})
    fresh: dict[str, int | None] = {}
    at = time.monotonic()
    try:
        for item in items:
            if str(item) in seen:
                continue
            document = issue_one(batch, item)
            fresh[str(item)] = document.pk if document is not None else None
            if time.monotonic() - at >= PROGRESS_EVERY:
                _record(batch.pk, key, fresh)
                at = time.monotonic()
    except Exception as exc:
        _record(batch.pk, key, fresh)
        DocumentBatch.objects.filter(pk=batch.pk).exclude(status=BatchStatus.DONE).update(
            status=BatchStatus.FAILED,
            error=(str(exc) or type(exc).__name__)[:2000],
            finished_at=timezone.now(),
        )
        raise
    _record(batch.pk, key, fresh)
    return len(fresh)


def issued(batch: DocumentBatch) -> dict[int, int]:
    """item → document id of every item the batch issued a document for."""
    return {
        int(item): document_id
        for part in batch.params.get("parts", {}).values()
        for item, document_id in part.items()
        if document_id is not None
    }


class _Sink:
    """Where zipfile writes: what it wrote since the last `take` (it cannot seek here, so it
    writes each member's sizes after its data)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_stream(members: Iterable[tuple[str, Document]]) -> Iterator[bytes]:
    """A zip of (name, document) pairs, produced as it goes: one stored PDF read at a time
    (PDFs are compressed already, so members are stored, not deflated)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for name, document in members:
            info = zipfile.ZipInfo(
                name, date_time=timezone.localtime(document.issued_at).timetuple()[:6]
            )
            with archive.open(info, "w") as entry, document.file.open("rb") as pdf:
                shutil.copyfileobj(pdf, entry)
            yield sink.take()
    yield sink.take()
