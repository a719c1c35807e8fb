"""Two people acting on one event at once: the officer and the secretary both accepting or
handling it, the villager rating while reopening, the same 随手拍 sent twice by a phone that
retried — each happens once (row locks on PostgreSQL; on SQLite, where writers queue, the same
invariant one after the other). The audit chain stays whole."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from grid import services
from grid.models import EventStatus, EventStep, GridEvent, StepKind
from tests.support.concurrency import in_threads, outcome_kinds
from village import audit

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]


def report(w, **fields):
    return services.event_report(
        actor=w.resident, village=w.village, category="environment", text="排水沟堵了", **fields
    )


def race(tasks):
    """The tasks at once on PostgreSQL; on SQLite one after the other (its writers queue)."""
    if connection.vendor == "postgresql":
        return in_threads(tasks, threads=len(tasks))
    outcomes = []
    for task in tasks:
        try:
            outcomes.append(("ok", task()))
        except ValidationError as exc:
            outcomes.append(("invalid", exc))
    return outcomes


def test_two_accepting_at_once_accept_once(points_world):
    w = points_world
    event = report(w)
    outcomes = race(
        [
            lambda: services.event_accept(actor=w.officer, event=event),
            lambda: services.event_accept(actor=w.secretary, event=event),
        ]
    )
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 1}, outcomes
    assert EventStep.objects.filter(event=event, kind=StepKind.ACCEPT).count() == 1
    assert audit.verify_all() == []


def test_two_handling_at_once_handle_once(points_world):
    w = points_world
    event = report(w)
    outcomes = race(
        [
            lambda: services.event_handle(actor=w.officer, event=event, note="网格员清掏"),
            lambda: services.event_handle(actor=w.secretary, event=event, note="书记协调"),
        ]
    )
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 1}, outcomes
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLED
    assert EventStep.objects.filter(event=event, kind=StepKind.HANDLE).count() == 1
    assert audit.verify_all() == []


def test_rating_and_reopening_at_once_do_one_of_them(points_world):
    w = points_world
    event = report(w)
    services.event_handle(actor=w.officer, event=event, note="已处理")
    outcomes = race(
        [
            lambda: services.event_confirm(actor=w.resident, event=event, rating=5),
            lambda: services.event_reopen(actor=w.resident, event=event, reason="还是堵"),
        ]
    )
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 1}, outcomes
    event.refresh_from_db()
    kinds = set(EventStep.objects.filter(event=event).values_list("kind", flat=True))
    assert (StepKind.CONFIRM in kinds) != (StepKind.REOPEN in kinds)
    assert (event.status == EventStatus.CONFIRMED) == (StepKind.CONFIRM in kinds)


def test_a_retried_report_is_one_event(points_world):
    w = points_world
    outcomes = race([lambda: report(w, idempotency_key="phone-retry") for _ in range(4)])
    assert outcome_kinds(outcomes) == {"ok": 4}, outcomes
    assert len({value.pk for _kind, value in outcomes}) == 1
    assert GridEvent.objects.count() == 1
    assert EventStep.objects.count() == 1
    assert audit.verify_all() == []
