"""Two workers running parts of the same passbook batch at once (PostgreSQL: SQLite has one
writer): each part's record is made under the batch row's lock, so neither overwrites the
other's and the batch ends done with every household counted once."""

import threading
from unittest import mock

import pytest
from django_tasks import task_backends

from points import tasks as points_tasks
from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
from tests.support.points_world import build_world
from village.documents import batch as batch_runner
from village.models import BatchStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    skip_unless_postgresql()


def test_parts_run_at_once_lose_no_progress(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    task_backends["default"].clear()
    world = build_world()
    with mock.patch.object(points_tasks, "PART_SIZE", 3):
        batch = points_tasks.statements_batch_start(
            actor=world.secretary, village=world.village, year=world.day.year
        )
    # This batch's parts (the dummy backend may still hold other tests' tasks).
    results = task_backends["default"].results
    parts = [tuple(r.args) for r in results if r.args and r.args[0] == batch.pk]
    assert [len(ids) for _b, _p, ids in parts] == [3, 2]
    step, seen = threading.Barrier(2), threading.local()

    def in_step(run, household_id):
        seen.n = getattr(seen, "n", 0) + 1
        if seen.n <= 2:  # both parts record their first two households at the same moment
            step.wait(timeout=30)
        return None  # nothing to print: what is tested is the record

    def run(args):
        return lambda: batch_runner.part_run(
            args[0], part=args[1], items=args[2], issue_one=in_step
        )

    with mock.patch.object(batch_runner, "PROGRESS_EVERY", 0):
        outcomes = in_threads([run(args) for args in parts], threads=2)
    assert outcome_kinds(outcomes) == {"ok": 2}, outcomes
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.done == batch.total == 5
    assert {part: len(issued) for part, issued in batch.params["parts"].items()} == {
        "0": 3,
        "1": 2,
    }
