"""Helpers of the audit chain tests (tests/village/test_audit_*.py): the chain's tables, switching
off the append-only triggers as an attacker with the database would, raw SQL, running
`verify_audit`, the hash a row should have, and forging a row."""

import hashlib
import importlib
import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from village import audit
from village.models import AuditEvent, AuditHead

TABLE = AuditEvent._meta.db_table
append_only = importlib.import_module("village.migrations.0002_audit_append_only")


HEAD_TABLE = AuditHead._meta.db_table
sealed_heads = importlib.import_module("village.migrations.0007_audit_seal")


@contextmanager
def triggers_off():
    """Switch off the append-only triggers of the chain and its heads, as an attacker with the
    database would, and always switch them back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER village_auditevent_no_update")
            cursor.execute("DROP TRIGGER village_auditevent_no_delete")
            cursor.execute("DROP TRIGGER village_audithead_no_rewind")
            cursor.execute("DROP TRIGGER village_audithead_no_delete")
        else:
            # Deferred foreign-key checks of rows written earlier in the transaction would
            # block ALTER TABLE ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            cursor.execute(f"ALTER TABLE {HEAD_TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for sql in append_only.SQLITE + sealed_heads.SQLITE:
                    cursor.execute(sql)
            else:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
                cursor.execute(f"ALTER TABLE {HEAD_TABLE} ENABLE TRIGGER USER")
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


def insert_copy(source: AuditEvent, *, seq: int, prev_hash: str, action: str) -> int:
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
