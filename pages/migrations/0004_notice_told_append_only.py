"""Told records (当面告知 …) are facts: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on them, so raw SQL through the application's connection cannot remove who was
told, as for the audit chain (village migration 0002)."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER pages_noticetold_no_update BEFORE UPDATE ON pages_noticetold
       BEGIN SELECT RAISE(ABORT, 'told records are append-only'); END;""",
    """CREATE TRIGGER pages_noticetold_no_delete BEFORE DELETE ON pages_noticetold
       BEGIN SELECT RAISE(ABORT, 'told records are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS pages_noticetold_no_update;",
    "DROP TRIGGER IF EXISTS pages_noticetold_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION pages_notice_told_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'told records are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER pages_noticetold_no_change BEFORE UPDATE OR DELETE ON pages_noticetold
       FOR EACH ROW EXECUTE FUNCTION pages_notice_told_append_only();""",
    """CREATE TRIGGER pages_noticetold_no_truncate BEFORE TRUNCATE ON pages_noticetold
       FOR EACH STATEMENT EXECUTE FUNCTION pages_notice_told_append_only();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS pages_noticetold_no_change ON pages_noticetold;",
    "DROP TRIGGER IF EXISTS pages_noticetold_no_truncate ON pages_noticetold;",
    "DROP FUNCTION IF EXISTS pages_notice_told_append_only();",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("pages", "0003_notice_told")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
