"""Two syncs of the same batch at once (a phone that retried while its first request was still
running): each item is written exactly once, with one chain event, and both answers name the
same rows. PostgreSQL only (row locks and parallel writers)."""

import json

import pytest
from django.utils import timezone

from grid.models import GridEvent
from grid.services import offline
from points.models import Entry
from tests.grid.offline_world import entry_item, event_item, offline_chain
from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
from tests.support.points_world import build_world


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_the_same_batch_synced_twice_at_once_is_written_once():
    skip_unless_postgresql()
    w = build_world()
    items = [
        entry_item(w.h[1], "HJ01"),
        entry_item(w.h[2], "HJ02"),
        entry_item(w.h[1], "ZY01"),
        event_item(w.area1),
    ]
    batch = json.dumps(items)

    def sync():
        result = offline.offline_sync(
            actor=w.officer, items=batch, sent_at=timezone.now().isoformat(), photos={}
        )
        return {a.key: (a.status, a.id, a.replayed) for a in result.items}

    outcomes = in_threads([sync] * 4, threads=4)
    assert outcome_kinds(outcomes) == {"ok": 4}
    results = [value for _kind, value in outcomes]
    for item in items:
        seen = {r[item["key"]][:2] for r in results}
        assert len(seen) == 1, seen  # every answer names the same row
        assert next(iter(seen))[0] == "accepted"
        assert sum(1 for r in results if not r[item["key"]][2]) == 1  # written by exactly one
    assert Entry.objects.filter(recorded_by=w.officer).count() == 3
    assert GridEvent.objects.count() == 1
    assert offline_chain().count() == 4
