"""The ledger's invariants in the database itself, so raw SQL through the application's
connection cannot break them quietly:

- a posted entry cannot be updated, and no entry can be deleted (SQLite and PostgreSQL);
- PostgreSQL only: at commit, every account touched has a balance equal to the sum of its
  posted entries (deferred constraint triggers on both tables). The balance ≥ 0 rule is a
  CHECK constraint on the account (migration 0001).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER points_entry_posted_no_update BEFORE UPDATE ON points_entry
       WHEN OLD.status = 'posted'
       BEGIN SELECT RAISE(ABORT, 'posted points entries cannot be changed'); END;""",
    """CREATE TRIGGER points_entry_no_delete BEFORE DELETE ON points_entry
       BEGIN SELECT RAISE(ABORT, 'points entries cannot be deleted'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS points_entry_posted_no_update;",
    "DROP TRIGGER IF EXISTS points_entry_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION points_entry_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           RAISE EXCEPTION 'points entries cannot be deleted (entry %)', OLD.id;
         END IF;
         RAISE EXCEPTION 'posted points entries cannot be changed (entry %)', OLD.id;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_entry_posted_no_update BEFORE UPDATE ON points_entry
       FOR EACH ROW WHEN (OLD.status = 'posted') EXECUTE FUNCTION points_entry_guard();""",
    """CREATE TRIGGER points_entry_no_delete BEFORE DELETE ON points_entry
       FOR EACH ROW EXECUTE FUNCTION points_entry_guard();""",
    """CREATE TRIGGER points_entry_no_truncate BEFORE TRUNCATE ON points_entry
       FOR EACH STATEMENT EXECUTE FUNCTION points_entry_guard();""",
    """CREATE OR REPLACE FUNCTION points_balance_check() RETURNS trigger AS $$
       DECLARE
         acc bigint;
         bal bigint;
         total bigint;
       BEGIN
         IF TG_TABLE_NAME = 'points_account' THEN acc := NEW.id; ELSE acc := NEW.account_id; END IF;
         SELECT balance INTO bal FROM points_account WHERE id = acc;
         SELECT COALESCE(SUM(points), 0) INTO total FROM points_entry
           WHERE account_id = acc AND status = 'posted';
         IF bal IS DISTINCT FROM total THEN
           RAISE EXCEPTION 'points account %: balance % differs from its posted entries (%)',
             acc, bal, total;
         END IF;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER points_account_balance_matches
       AFTER INSERT OR UPDATE OF balance ON points_account
       DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW EXECUTE FUNCTION points_balance_check();""",
    """CREATE CONSTRAINT TRIGGER points_entry_balance_matches
       AFTER INSERT OR UPDATE OF status ON points_entry
       DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW WHEN (NEW.status = 'posted') EXECUTE FUNCTION points_balance_check();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS points_entry_balance_matches ON points_entry;",
    "DROP TRIGGER IF EXISTS points_account_balance_matches ON points_account;",
    "DROP FUNCTION IF EXISTS points_balance_check();",
    "DROP TRIGGER IF EXISTS points_entry_no_truncate ON points_entry;",
    "DROP TRIGGER IF EXISTS points_entry_no_delete ON points_entry;",
    "DROP TRIGGER IF EXISTS points_entry_posted_no_update ON points_entry;",
    "DROP FUNCTION IF EXISTS points_entry_guard();",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # "%" in RAISE formats

    return run


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
