"""Several senders at once — threads on PostgreSQL, `manage.py send_outbox` processes on a SQLite
file as `make run` keeps it — and each text leaves once: the provider's record (the file
backend's lines) holds every delivery exactly once, and the month's budget is never passed."""

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.timezone import now

from tests.factories import HouseholdFactory, VillagerFactory
from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
from village import sending, services
from village.models import Channel, Delivery, DeliveryStatus, Notification, SmsMonth, Villager
from village.permissions import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 40


def _offline_village(households: int):
    """A village whose households have phones and no accounts: one text each."""
    first = HouseholdFactory()
    village = first.village
    for i in range(households):
        household = first if i == 0 else HouseholdFactory(village=village, area=first.area)
        head = VillagerFactory(household=household, phone=f"139{i:08d}")
        household.head = head
        household.save(update_fields=["head"])
    services.ruleset_update(
        actor=SYSTEM,
        ruleset=village.rules,
        quiet_hours_start=time(0),
        quiet_hours_end=time(0),  # no quiet hours: the test may run at any hour
    )
    return village


def _tell(village, key="notice:1"):
    return services.notification_send(
        actor=SYSTEM,
        village=village,
        key=key,
        kind="notice",
        title="明天上午发放冬季取暖补贴",
        villagers=Villager.objects.filter(village=village),
    )


def _drain() -> int:
    """One sender: passes until nothing is due (what `send_outbox --until-empty` does)."""
    sent = 0
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now())
    while due.exists():
        sent += sending.deliveries_send_due(limit=5).sent
    return sent


def _lines(path: Path) -> Counter:
    return Counter(json.loads(line)["out_id"] for line in path.read_text().splitlines())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_threads_sending_at_once_send_each_text_once_on_postgresql(tmp_path):
    skip_unless_postgresql()
    village = _offline_village(HOUSEHOLDS)
    log = tmp_path / "sms.log"
    conf = {**settings.CUNZHI_SMS, "FILE": str(log)}
    with override_settings(CUNZHI_SMS_BACKEND="file", CUNZHI_SMS=conf, TASKS=_NO_TASKS):
        _tell(village)
        outcomes = in_threads([_drain] * 6, threads=6)
    assert outcome_kinds(outcomes) == {"ok": 6}, outcomes
    assert sum(sent for _kind, sent in outcomes) == HOUSEHOLDS
    sent = _lines(log)
    assert len(sent) == HOUSEHOLDS and set(sent.values()) == {1}
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == HOUSEHOLDS
    assert SmsMonth.objects.get(village=village).used == HOUSEHOLDS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_threads_sending_at_once_never_pass_the_budget_on_postgresql(tmp_path):
    skip_unless_postgresql()
    village = _offline_village(HOUSEHOLDS)
    services.ruleset_update(actor=SYSTEM, ruleset=village.rules, sms_monthly_limit=15)
    log = tmp_path / "sms.log"
    conf = {**settings.CUNZHI_SMS, "FILE": str(log)}
    with override_settings(CUNZHI_SMS_BACKEND="file", CUNZHI_SMS=conf, TASKS=_NO_TASKS):
        _tell(village)
        outcomes = in_threads([_drain] * 8, threads=8)
    assert outcome_kinds(outcomes) == {"ok": 8}, outcomes
    assert len(_lines(log)) == 15
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT: 15, DeliveryStatus.SKIPPED: HOUSEHOLDS - 15}
    assert SmsMonth.objects.get(village=village).used == 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_one_event_told_at_once_by_several_requests_is_told_once_on_postgresql():
    skip_unless_postgresql()
    village = _offline_village(10)
    with override_settings(TASKS=_NO_TASKS):
        outcomes = in_threads([lambda: _tell(village).pk] * 6, threads=6)
    assert outcome_kinds(outcomes) == {"ok": 6}, outcomes
    assert len({pk for _kind, pk in outcomes}) == 1
    assert Notification.objects.count() == 1
    assert Delivery.objects.filter(channel=Channel.SMS).count() == 10


# The sender runs when the test says, not on commit.
_NO_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


BUILD = """
import sys
sys.path.insert(0, {root!r})
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.village.test_outbox_concurrency import _offline_village, _tell
_tell(_offline_village({households}))
print("BUILT")
"""


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the SQLite file of `make run`; PostgreSQL has the threaded tests above",
)
def test_sender_processes_at_once_send_each_text_once_on_a_sqlite_file(tmp_path):
    db, log = tmp_path / "db.sqlite3", tmp_path / "sms.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "village.settings.dev",
        "DATABASE_URL": f"sqlite:///{db}",
        "CUNZHI_SMS_BACKEND": "file",
        "CUNZHI_SMS_FILE": str(log),
        "DJANGO_DEBUG": "1",
    }
    built = subprocess.run(
        [sys.executable, "-c", BUILD.format(root=str(ROOT), households=HOUSEHOLDS)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "BUILT" in built.stdout, built.stderr[-3000:]
    senders = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_outbox", "--limit", "5", "--until-empty"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    answers = [p.communicate(timeout=300) for p in senders]
    assert [p.returncode for p in senders] == [0, 0, 0], [err[-2000:] for _out, err in answers]
    sent = _lines(log)
    assert len(sent) == HOUSEHOLDS and set(sent.values()) == {1}
    totals = sum(int(out.split("sent=")[1].split()[0]) for out, _err in answers)
    assert totals == HOUSEHOLDS
