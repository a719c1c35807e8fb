"""What keeps the audit chain append-only and its end fixed: the triggers that refuse updates and
deletes, heads sealed with a key outside the database, township anchors, the head printed on
documents, and key rotation. The attacker here has the database but not the key."""

import importlib
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from tests.support.village_audit import (
    HEAD_TABLE,
    TABLE,
    expected_hash,
    sql,
    triggers_off,
    verify,
    verify_fails,
)
from village import audit, services
from village.models import AuditEvent, AuditHead

pytestmark = pytest.mark.usefixtures("_chinese")


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


# --- sealed heads, township anchors, printed heads (someone with the database, not the key) ---


def _rehash_from(rows: list[AuditEvent], start: int, **edit) -> tuple[int, str]:
    """Edit row `start` and recompute every later hash and link, as an attacker with the
    database can (SHA-256 needs no key); return the new last (seq, hash)."""
    prev = rows[start - 1].hash if start else audit.GENESIS
    for index, row in enumerate(rows[start:], start):
        fields = edit if index == start else {}
        new_hash = expected_hash(row, prev_hash=prev, **fields)
        sets = ", ".join(f"{column} = %s" for column in fields)
        sql(
            f"UPDATE {TABLE} SET {sets + ', ' if sets else ''}prev_hash = %s, hash = %s"
            " WHERE id = %s",
            [*fields.values(), prev, new_hash, row.pk],
        )
        prev = new_hash
    return rows[-1].seq, prev


def test_every_write_seals_the_head_with_the_key_outside_the_database(chain):
    head = AuditHead.objects.get(chain=chain[0].chain)
    assert head.key_id and len(head.seal) == 64
    assert audit.head_seal_ok(head)
    assert (head.seq, head.hash) == (5, chain[-1].hash)


def test_a_chain_cut_back_with_its_head_rewound_is_named(chain):
    key = chain[0].chain
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [chain[3].pk, chain[4].pk])
        sql(
            f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s WHERE chain = %s",
            [3, chain[2].hash, key],
        )
    stderr = verify_fails()
    assert f"chain {key}: row id={chain[2].pk} seq=3" in stderr
    assert "seal does not match" in stderr


def test_a_chain_rewritten_with_every_hash_recomputed_is_named(chain):
    key = chain[0].chain
    with triggers_off():
        _seq, last = _rehash_from(chain, 1, object_repr="A-666")
        sql(f"UPDATE {HEAD_TABLE} SET hash = %s WHERE chain = %s", [last, key])
    # Links and hashes are all consistent again; only the seal (and the key) can tell.
    assert audit.verify_chain(key, []) is not None
    stderr = verify_fails()
    assert "seal does not match" in stderr


def test_an_old_sealed_head_put_back_after_cutting_the_chain_is_caught_by_the_anchor(
    chain, shared_township
):
    """The attacker kept a backup: the head as it was at seq 3, genuinely sealed. The village's
    head was written into the township's chain since (seq 5), so cutting back to 3 shows."""
    key = chain[0].chain
    audit.anchor(village=shared_township["own"], reason="resolution")
    anchored = AuditEvent.objects.get(action=audit.ANCHOR)
    assert anchored.chain == audit.chain_key(township=shared_township["own"].township)
    assert anchored.payload == {
        "chain": key,
        "seq": 5,
        "hash": chain[4].hash,
        "reason": "resolution",
    }
    verify()
    backup_seal = audit.seal_head(key, 3, chain[2].hash)[1]  # the head sealed at seq 3
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE chain = %s AND seq > 3", [key])
        sql(
            f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s, seal = %s, anchored_seq = 0"
            " WHERE chain = %s",
            [3, chain[2].hash, backup_seal, key],
        )
    # The chain and its head agree and the seal is genuine: alone, it would pass.
    assert audit.verify_chain(key, []) is None
    stderr = verify_fails()
    assert f"chain {key}: seq=4" in stderr
    assert "township anchor" in stderr and "holds seq 5" in stderr


def test_the_database_refuses_to_rewind_or_delete_a_head(chain):
    key = chain[0].chain
    _refused(lambda: sql(f"UPDATE {HEAD_TABLE} SET seq = 3 WHERE chain = %s", [key]))
    _refused(lambda: sql(f"UPDATE {HEAD_TABLE} SET hash = %s WHERE chain = %s", ["0" * 64, key]))
    _refused(lambda: sql(f"DELETE FROM {HEAD_TABLE} WHERE chain = %s", [key]))
    _refused(lambda: AuditHead.objects.filter(chain=key).delete())
    assert AuditHead.objects.get(chain=key).seq == 5
    verify()


def test_a_head_sealed_without_the_key_is_named(chain):
    key = chain[0].chain
    with override_settings(CUNZHI_AUDIT_KEY="someone-elses-key-who-has-the-database-only"):
        _id, forged = audit.seal_head(key, 5, chain[-1].hash)
    with triggers_off():
        sql(f"UPDATE {HEAD_TABLE} SET seal = %s WHERE chain = %s", [forged, key])
    assert "seal does not match" in verify_fails()


def test_the_village_head_goes_into_the_township_chain_at_least_daily(chain, shared_township):
    township = audit.chain_key(township=shared_township["own"].township)
    assert not AuditEvent.objects.filter(chain=township, action=audit.ANCHOR).exists()
    later = timezone.now() + timedelta(days=1, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        services.household_create(
            actor=shared_township["users"]["secretary"],
            village=shared_township["own"],
            number="A-006",
            area=shared_township["area"],
        )
    anchor = AuditEvent.objects.get(chain=township, action=audit.ANCHOR)
    assert anchor.payload["seq"] == 6 and anchor.payload["reason"] == "daily"
    # And by cron for the villages whose head moved since: none now.
    out = io.StringIO()
    call_command("anchor_audit", stdout=out)
    assert "anchored 0" in out.getvalue()
    services.household_create(
        actor=shared_township["users"]["secretary"],
        village=shared_township["own"],
        number="A-007",
        area=shared_township["area"],
    )
    out = io.StringIO()
    call_command("anchor_audit", stdout=out)
    assert "anchored 1" in out.getvalue()
    verify()


def _issued(shared_township):
    """A document issued now by the secretary: it prints and stores the village's head."""
    from village import documents

    return documents.issue(
        actor=shared_township["users"]["secretary"],
        village=shared_township["own"],
        kind="notice",
        title="测试通知",
        subject=shared_township["own"],
        template="documents/base.html",
        context={},
    )


def test_verify_against_a_documents_printed_head(chain, shared_township):
    document = _issued(shared_township)
    assert (document.audit_seq, document.audit_hash) == (5, chain[-1].hash)
    out = io.StringIO()
    call_command("verify_audit", "--against", document.code, stdout=out)
    assert f"document {document.code}" in out.getvalue()
    # Rewritten before the printed head, hashes recomputed, head resealed by someone who also
    # holds the key: only the printed copy tells.
    key = chain[0].chain
    rows = list(AuditEvent.objects.filter(chain=key).order_by("seq"))
    with triggers_off():
        seq, last = _rehash_from(rows, 1, object_repr="A-666")
        sql(
            f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s, seal = %s WHERE chain = %s",
            [seq, last, audit.seal_head(key, seq, last)[1], key],
        )
    assert audit.verify_chain(key, []) is None
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit", "--against", document.code, stderr=io.StringIO())
    assert document.code in str(excinfo.value)
    with pytest.raises(CommandError):
        call_command("verify_audit", "--against", "NOSUCHCODE", stderr=io.StringIO())


def test_production_refuses_to_start_without_the_key():
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CUNZHI_AUDIT_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DJANGO_SETTINGS_MODULE="village.settings.production", DJANGO_SECRET_KEY="x" * 60)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CUNZHI_AUDIT_KEY is not set" in result.stderr


def test_rotation_old_seals_verify_with_the_retired_key_and_new_writes_use_the_new(
    chain, shared_township
):
    old_key = "test-only-audit-key-0123456789abcdefghijklmnopqrstuvwxyz"
    new_key = "the-new-integrity-key-after-rotation-0123456789"
    with override_settings(CUNZHI_AUDIT_KEY=new_key, CUNZHI_AUDIT_OLD_KEYS=[old_key]):
        verify()  # heads sealed with the retired key still verify
        call_command("reseal_audit", stdout=io.StringIO())
    with override_settings(CUNZHI_AUDIT_KEY=new_key, CUNZHI_AUDIT_OLD_KEYS=[]):
        verify()  # resealed: the retired key can go
    # Without the rotation (new key only, old heads unsealed by it) the heads would not verify.
    with override_settings(CUNZHI_AUDIT_KEY="yet-another-key-never-used-0123456789abcdef"):
        assert "seal does not match" in verify_fails()


def test_a_township_chain_deleted_with_its_anchors_is_named_by_the_village_head(
    chain, shared_township
):
    key = chain[0].chain
    audit.anchor(village=shared_township["own"], reason="resolution")
    township = audit.chain_key(township=shared_township["own"].township)
    verify()
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE chain = %s", [township])
        sql(f"DELETE FROM {HEAD_TABLE} WHERE chain = %s", [township])
    stderr = verify_fails()
    assert f"chain {key}: seq=5" in stderr
    assert "no longer holds the anchor of seq 5" in stderr
    # Forgetting the anchor on the village head too breaks the head's seal.
    with triggers_off():
        sql(f"UPDATE {HEAD_TABLE} SET anchored_seq = 0 WHERE chain = %s", [key])
    assert "seal does not match" in verify_fails()


def test_against_the_head_read_off_the_paper_catches_a_changed_document_record(
    chain, shared_township
):
    from village.models import Document

    document = _issued(shared_township)
    printed = f"{document.audit_seq}:{document.audit_hash}"
    call_command(
        "verify_audit", "--against", document.code, "--head", printed, stdout=io.StringIO()
    )
    # Someone with the database rewrites the chain before the printed head (resealing with a
    # stolen key), then points the document's stored head at the rewritten row.
    key = chain[0].chain
    rows = list(AuditEvent.objects.filter(chain=key).order_by("seq"))
    table = Document._meta.db_table
    with triggers_off():
        seq, last = _rehash_from(rows, 1, object_repr="A-666")
        sql(
            f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s, seal = %s WHERE chain = %s",
            [seq, last, audit.seal_head(key, seq, last)[1], key],
        )
        new5 = AuditEvent.objects.get(chain=key, seq=5).hash
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER village_document_no_update")
            else:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(f"UPDATE {table} SET audit_hash = %s WHERE id = %s", [new5, document.pk])
            if connection.vendor == "sqlite":
                guards = importlib.import_module("village.migrations.0005_documents_append_only")
                cursor.execute(guards.SQLITE[0])
            else:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    # The stored copy now agrees with the rewritten chain; the paper does not.
    call_command("verify_audit", "--against", document.code, stdout=io.StringIO())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", "--against", document.code, "--head", printed, stderr=err)
    assert "not the one printed on it" in err.getvalue()
