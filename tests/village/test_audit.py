"""The audit chain: hashes and links, `verify_audit`, and the triggers that keep rows append-only.

Tampering goes through raw SQL with the triggers switched off, as an attacker with database
access would do; `verify_audit` must then fail and name the bad row.
"""

import hashlib
import importlib
import io
import itertools
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from tests.factories import AreaFactory
from tests.village import _world
from village import audit, services
from village.models import AuditEvent, AuditHead


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


TABLE = AuditEvent._meta.db_table
append_only = importlib.import_module("village.migrations.0002_audit_append_only")


@contextmanager
def triggers_off():
    """Switch off the append-only triggers, and always switch them back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER village_auditevent_no_update")
            cursor.execute("DROP TRIGGER village_auditevent_no_delete")
        else:
            # Deferred foreign-key checks of rows written earlier in the transaction would
            # block ALTER TABLE ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for sql in append_only.SQLITE:
                    cursor.execute(sql)
            else:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def verify() -> tuple[str, str]:
    """Run verify_audit; return (stdout, stderr), raising CommandError as the command does."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        exc.stderr = err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert excinfo.value.returncode != 0
    assert "audit chain broken" in str(excinfo.value)
    return excinfo.value.stderr


def expected_hash(row: AuditEvent, **override) -> str:
    fields = {
        "chain": row.chain,
        "seq": row.seq,
        "created_at": row.created_at,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_repr": row.object_repr,
        "payload": row.payload,
        "prev_hash": row.prev_hash,
    }
    fields.update(override)
    return hashlib.sha256(audit.canonical(**fields)).hexdigest()


world_pks, w = _world.world_pks, _world.w  # the township world, built once for the module


@pytest.fixture
def chain(w):
    """Five events on the own village's chain, written by the secretary through services."""
    secretary = w["users"]["secretary"]
    for n in range(1, 6):
        services.household_create(
            actor=secretary,
            village=w["own"],
            number=f"A-{n:03d}",
            area=w["area"],
            address=f"东街{n}号",
        )
    key = audit.chain_key(village=w["own"])
    rows = list(AuditEvent.objects.filter(chain=key).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    return rows


# --- the chain itself ------------------------------------------------------------


def test_each_row_links_to_the_previous_rows_hash(chain):
    assert chain[0].prev_hash == audit.GENESIS
    for before, row in itertools.pairwise(chain):
        assert row.prev_hash == before.hash


def test_each_hash_is_sha256_over_the_canonical_row(chain):
    for row in chain:
        assert row.hash == expected_hash(row)
        assert len(row.hash) == 64
    # any change of content gives another hash
    assert expected_hash(chain[2], object_repr="A-999") != chain[2].hash
    assert expected_hash(chain[2], payload={**chain[2].payload, "address": "x"}) != chain[2].hash


def test_canonical_form_does_not_depend_on_key_order(chain):
    row = chain[0]
    shuffled = dict(reversed(list(row.payload.items())))
    assert expected_hash(row, payload=shuffled) == row.hash


def test_head_records_the_last_row(chain):
    head = AuditHead.objects.get(chain=chain[0].chain)
    assert (head.seq, head.hash) == (5, chain[-1].hash)
    assert audit.head_of(chain[0].village) == head


def test_event_names_actor_action_and_object(chain, w):
    row = chain[0]
    assert row.actor == w["users"]["secretary"]
    assert row.actor_name == "secretary"
    assert row.action == "village.household.create"
    assert row.object_type == "village.household"
    assert row.object_repr == "A-001"
    assert row.village == w["own"]
    assert row.township == w["own"].township


def test_system_events_are_recorded_as_system(w):
    row = audit.record(actor=None, action="village.grid.update", obj=w["area"])
    assert row.actor is None and row.actor_name == "system"


def test_verify_audit_passes_an_intact_chain(chain):
    out, err = verify()
    assert "audit chain intact" in out
    assert err == ""
    assert audit.verify_all() == []


def test_verify_audit_passes_an_empty_database(db):
    out, _err = verify()
    assert "intact (0 chains)" in out


# --- tampering ---------------------------------------------------------------------


def test_edited_row_is_detected_and_named(chain):
    bad = chain[2]
    with triggers_off():
        assert sql(f"UPDATE {TABLE} SET object_repr = %s WHERE id = %s", ["A-666", bad.pk]) == 1
    stderr = verify_fails()
    assert f"chain {bad.chain}: row id={bad.pk} seq=3" in stderr
    assert "edited" in stderr


def test_edited_payload_is_detected(chain):
    bad = chain[1]
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET payload = %s WHERE id = %s",
            ['{"number": "A-002", "address": "西街1号", "area": 1, "status": "active"}', bad.pk],
        )
    stderr = verify_fails()
    assert f"row id={bad.pk} seq=2" in stderr


def test_edited_row_with_a_recomputed_hash_breaks_the_next_link(chain):
    bad = chain[2]
    forged = expected_hash(bad, object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, bad.pk],
        )
    stderr = verify_fails()
    assert f"row id={chain[3].pk} seq=4" in stderr
    assert "link broken" in stderr


def test_deleted_row_in_the_middle_is_detected_and_named(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[2].pk]) == 1
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=3: row seq 3 is missing (deleted)" in stderr


def test_deleted_first_row_is_detected(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[0].pk])
    assert "row seq 1 is missing" in verify_fails()


def test_deleted_last_row_is_caught_by_the_head(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk]) == 1
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=5" in stderr
    assert "trailing rows deleted" in stderr


def test_deleted_whole_chain_is_caught_by_the_head(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE chain = %s", [chain[0].chain]) == 5
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=1" in stderr
    assert "head says 5" in stderr


def test_deleted_last_row_and_head_is_detected(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk])
    AuditHead.objects.filter(chain=chain[0].chain).delete()
    assert "head record is missing" in verify_fails()


def _insert_copy(source: AuditEvent, *, seq: int, prev_hash: str, action: str) -> int:
    """Insert a forged row — a copy of `source` with a new action — whose own hash is right."""
    forged = expected_hash(source, seq=seq, prev_hash=prev_hash, action=action)
    columns = [f.column for f in AuditEvent._meta.concrete_fields if f.column not in {"id", "seq"}]
    values = {"action": "%s", "prev_hash": "%s", "hash": "%s"}
    select = ", ".join(values.get(c, c) for c in columns)
    sql(
        f"INSERT INTO {TABLE} (seq, {', '.join(columns)}) "
        f"SELECT %s, {select} FROM {TABLE} WHERE id = %s",
        [seq, action, prev_hash, forged, source.pk],
    )
    return AuditEvent.objects.get(chain=source.chain, seq=seq).pk


def test_inserted_row_in_the_middle_is_detected_and_named(chain):
    with triggers_off():
        for row in reversed(chain[2:]):  # make room at seq 3
            sql(f"UPDATE {TABLE} SET seq = seq + 1 WHERE id = %s", [row.pk])
        forged = _insert_copy(
            chain[1], seq=3, prev_hash=chain[1].hash, action="village.household.forged"
        )
    stderr = verify_fails()
    assert f"row id={forged} seq=3: inserted row" in stderr


def test_inserted_row_at_the_end_is_caught_by_the_head(chain):
    forged = _insert_copy(
        chain[-1], seq=6, prev_hash=chain[-1].hash, action="village.household.forged"
    )
    stderr = verify_fails()
    assert f"row id={forged} seq=6" in stderr
    assert "beyond the chain head" in stderr


def test_reordered_pair_is_detected_and_named(chain):
    second, third = chain[1], chain[2]
    with triggers_off():
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [1000, second.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [2, third.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [3, second.pk])
    stderr = verify_fails()
    assert f"row id={third.pk} seq=2" in stderr
    assert "reordered" in stderr


def test_replaced_last_row_is_caught_by_the_head(chain):
    last = chain[-1]
    forged = expected_hash(last, object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, last.pk],
        )
    stderr = verify_fails()
    assert f"row id={last.pk} seq=5" in stderr


def test_only_the_broken_chain_is_reported(chain, w):
    neighbour = w["neighbour"]
    area = AreaFactory(parent__village=neighbour)
    services.household_create(actor=None, village=neighbour, number="B-1", area=area)
    assert AuditEvent.objects.filter(chain=f"v{neighbour.pk}").count() == 1
    with triggers_off():
        sql(f"UPDATE {TABLE} SET actor_name = %s WHERE id = %s", ["mallory", chain[0].pk])
    stderr = verify_fails()
    assert stderr.count("BAD ") == 1
    assert f"chain {chain[0].chain}:" in stderr
    assert f"v{w['neighbour'].pk}" not in stderr


def test_appending_after_verification_keeps_the_chain_intact(chain, w):
    verify()
    services.household_create(
        actor=w["users"]["secretary"],
        village=w["own"],
        number="A-006",
        area=w["area"],
    )
    head = AuditHead.objects.get(chain=chain[0].chain)
    assert head.seq == 6
    verify()


# --- append-only --------------------------------------------------------------------


def _refused(action):
    with pytest.raises(DatabaseError), transaction.atomic():
        action()


def test_triggers_refuse_orm_update_and_delete(chain):
    _refused(lambda: AuditEvent.objects.filter(pk=chain[0].pk).update(object_repr="x"))
    _refused(lambda: AuditEvent.objects.filter(pk=chain[0].pk).delete())
    _refused(lambda: AuditEvent.objects.all().delete())
    assert AuditEvent.objects.count() == 5
    assert AuditEvent.objects.get(pk=chain[0].pk).object_repr == "A-001"
    verify()


def test_triggers_refuse_raw_update_and_delete(chain):
    _refused(lambda: sql(f"UPDATE {TABLE} SET object_repr = 'x' WHERE id = %s", [chain[0].pk]))
    _refused(lambda: sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[0].pk]))
    _refused(lambda: sql(f"DELETE FROM {TABLE}"))
    assert AuditEvent.objects.count() == 5
    verify()


def test_triggers_are_back_after_tampering(chain):
    with triggers_off():
        sql(f"UPDATE {TABLE} SET actor_name = 'x' WHERE id = %s", [chain[0].pk])
    _refused(lambda: sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[1].pk]))
    assert AuditEvent.objects.filter(pk=chain[1].pk).exists()


def test_saving_an_existing_event_again_is_refused(chain):
    row = chain[0]
    row.object_repr = "A-666"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    assert AuditEvent.objects.get(pk=row.pk).object_repr == "A-001"
    verify()
