"""Database triggers that refuse UPDATE and DELETE on the audit chain, so even raw SQL through
the application's connection cannot rewrite history quietly."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER village_auditevent_no_update BEFORE UPDATE ON village_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER village_auditevent_no_delete BEFORE DELETE ON village_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS village_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS village_auditevent_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION village_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER village_auditevent_no_change BEFORE UPDATE OR DELETE ON village_auditevent
       FOR EACH ROW EXECUTE FUNCTION village_audit_append_only();""",
    """CREATE TRIGGER village_auditevent_no_truncate BEFORE TRUNCATE ON village_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION village_audit_append_only();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS village_auditevent_no_change ON village_auditevent;",
    "DROP TRIGGER IF EXISTS village_auditevent_no_truncate ON village_auditevent;",
    "DROP FUNCTION IF EXISTS village_audit_append_only();",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("village", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
