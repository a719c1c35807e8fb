"""Issued documents are never changed or deleted, even through raw SQL."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER village_document_no_update BEFORE UPDATE ON village_document
       BEGIN SELECT RAISE(ABORT, 'issued documents cannot be changed'); END;""",
    """CREATE TRIGGER village_document_no_delete BEFORE DELETE ON village_document
       BEGIN SELECT RAISE(ABORT, 'issued documents cannot be deleted'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS village_document_no_update;",
    "DROP TRIGGER IF EXISTS village_document_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION village_document_fixed() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'issued documents cannot be changed or deleted'; END;
       $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER village_document_no_change BEFORE UPDATE OR DELETE ON village_document
       FOR EACH ROW EXECUTE FUNCTION village_document_fixed();""",
    """CREATE TRIGGER village_document_no_truncate BEFORE TRUNCATE ON village_document
       FOR EACH STATEMENT EXECUTE FUNCTION village_document_fixed();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS village_document_no_change ON village_document;",
    "DROP TRIGGER IF EXISTS village_document_no_truncate ON village_document;",
    "DROP FUNCTION IF EXISTS village_document_fixed();",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("village", "0004_documents")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
