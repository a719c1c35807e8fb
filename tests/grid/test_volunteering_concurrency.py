"""Two villagers taking the last place at once: one wins, the other is told it is full, and the
places taken never exceed the capacity — with real parallel writers on PostgreSQL, and the
same invariant on SQLite (its writers queue at BEGIN IMMEDIATE). Concurrent check-ins of one
volunteer record once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from grid.models import SignupStatus, VolunteerAttendance, VolunteerSignup
from grid.services import volunteering as services
from tests.factories import UserFactory, VillagerFactory
from tests.grid.volunteering_world import post_activity, start_of
from tests.support.clock import travel
from tests.support.concurrency import in_threads, outcome_kinds
from tests.support.points_world import build_world
from village.permissions import villager_of

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]


def _villagers(world, count):
    """`count` more registered villagers of the world's village, each with a login."""
    users = []
    for n in range(count):
        user = UserFactory(username=f"volunteer{n}")
        VillagerFactory(household=world.h[1 + n % 5], user=user, name=f"志愿者{n}")
        users.append(user)
    return users


def race(tasks, *, threads):
    """The tasks on `threads` parallel writers on PostgreSQL; on SQLite, whose writers queue at
    BEGIN IMMEDIATE anyway, one after the other in this thread (a worker thread's connection to
    the in-memory test database outlives the test and breaks the flush of a later one)."""
    if connection.vendor == "postgresql":
        return in_threads(tasks, threads=threads)
    outcomes = []
    for task in tasks:
        try:
            outcomes.append(("ok", task()))
        except ValidationError as exc:
            outcomes.append(("invalid", exc))
    return outcomes


def _signed(activity) -> int:
    return VolunteerSignup.objects.filter(activity=activity, status=SignupStatus.SIGNED).count()


def test_two_villagers_taking_the_last_place_at_once_one_wins():
    w = build_world()
    activity = post_activity(w, capacity=3)
    before = start_of(w) - timedelta(days=1)
    with travel(before):
        services.activity_signup(actor=w.resident, activity=activity)
        services.activity_signup(actor=w.neighbour, activity=activity)
    racers = _villagers(w, 2)

    def take(user):
        return lambda: services.activity_signup(actor=user, activity=activity)

    with travel(before):  # patched once for every thread
        outcomes = race([take(user) for user in racers], threads=2)
    kinds = outcome_kinds(outcomes)
    assert kinds == {"ok": 1, "invalid": 1}, outcomes
    (refused,) = [value for kind, value in outcomes if kind == "invalid"]
    assert "名额已满" in refused.messages[0]
    assert _signed(activity) == 3


def test_many_villagers_racing_never_overfill_an_activity():
    w = build_world()
    activity = post_activity(w, capacity=5)
    before = start_of(w) - timedelta(days=1)
    racers = _villagers(w, 12)

    def take(user):
        return lambda: services.activity_signup(actor=user, activity=activity)

    with travel(before):
        kinds = outcome_kinds(race([take(user) for user in racers], threads=6))
    assert kinds == {"ok": 5, "invalid": 7}
    assert _signed(activity) == 5


def test_one_volunteer_checked_in_from_two_phones_at_once_is_recorded_once():
    w = build_world()
    activity = post_activity(w)
    with travel(start_of(w) - timedelta(days=1)):
        services.activity_signup(actor=w.resident, activity=activity)
    villager = villager_of(w.resident)

    def check_in(actor):
        return lambda: services.activity_check_in(
            actor=actor, activity=activity, villager=villager, method="phone"
        )[1]

    with travel(start_of(w) + timedelta(minutes=20)):
        outcomes = race([check_in(w.officer), check_in(w.secretary)], threads=2)
    assert sorted(value for _kind, value in outcomes) == [False, True]
    assert VolunteerAttendance.objects.filter(activity=activity).count() == 1
