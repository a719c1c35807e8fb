"""PostgreSQL: the balance check at commit costs the same whatever an account's history.

Migration 0002 checked, at the end of every transaction, each account touched against the sum
of *all* its posted entries: a posting grew slower with every entry the household had ever had.

Now the database keeps, beside the balance the application writes, its own running total of the
account's posted entries (`points_account.posted_total`, a column only the database writes):

- a statement-level trigger on `points_entry` adds to each account's total the points of the
  rows an INSERT (or COPY) posts, and for an UPDATE the points its new rows hold posted minus
  those its old rows held posted (old and new rows are not paired: an UPDATE may change an id or
  an account) — one UPDATE per account per statement, read from the statement's own rows
  (transition tables), never from history;
- nobody else may change `posted_total`: a BEFORE trigger on `points_account` refuses any change
  that does not come from that trigger (a nested trigger, `pg_trigger_depth()`, while no
  temporary table carries a trigger — the only triggers a role owning no table can make), and a
  new account starts at 0;
- the deferred constraint trigger compares `balance` with `posted_total` of the one row at
  commit, so a balance edited behind the code's back is still refused.

`check_ledger` keeps the full sum, and on PostgreSQL also compares `posted_total` with it, so a
forgery by someone who can switch the triggers off (the tables' owner or a superuser: run the
application as a role that owns nothing, docs/points.md) is found by the nightly check.
SQLite has no deferred triggers: there the application and `check_ledger` keep the balance.
"""

from django.db import migrations

POSTGRES = [
    "DROP TRIGGER IF EXISTS points_entry_balance_matches ON points_entry;",
    "DROP TRIGGER IF EXISTS points_account_balance_matches ON points_account;",
    "ALTER TABLE points_account ADD COLUMN posted_total bigint NOT NULL DEFAULT 0;",
    """UPDATE points_account AS a SET posted_total = s.total
       FROM (SELECT account_id, SUM(points) AS total FROM points_entry
             WHERE status = 'posted' GROUP BY account_id) AS s
       WHERE a.id = s.account_id;""",
    """CREATE OR REPLACE FUNCTION points_account_total_guard() RETURNS trigger AS $$
       BEGIN
         -- Only the entries' trigger (a nested trigger) may move the total. A role that owns no
         -- table can attach triggers to temporary tables only: while any exists in the
         -- session, a nested change is refused too.
         IF pg_trigger_depth() < 2 OR EXISTS (
              SELECT 1 FROM pg_catalog.pg_trigger AS t
              JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
              WHERE c.relpersistence = 't') THEN
           IF TG_OP = 'INSERT' AND NEW.posted_total <> 0 THEN
             RAISE EXCEPTION 'points account %: a new account has no posted entries', NEW.id;
           END IF;
           IF TG_OP = 'UPDATE' AND NEW.posted_total IS DISTINCT FROM OLD.posted_total THEN
             RAISE EXCEPTION 'points account %: posted_total is kept by the database', OLD.id;
           END IF;
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_account_total_guard BEFORE INSERT OR UPDATE ON points_account
       FOR EACH ROW EXECUTE FUNCTION points_account_total_guard();""",
    """CREATE OR REPLACE FUNCTION points_entry_posted_total() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           UPDATE points_account AS a SET posted_total = a.posted_total + s.total
             FROM (SELECT account_id, SUM(points) AS total FROM new_rows
                   WHERE status = 'posted' GROUP BY account_id) AS s
             WHERE a.id = s.account_id;
         ELSE
           -- What the statement leaves posted minus what it found posted, per account: no
           -- pairing of old and new rows (an UPDATE may change an id or an account too).
           UPDATE points_account AS a SET posted_total = a.posted_total + s.total
             FROM (SELECT account_id, SUM(points) AS total FROM (
                     SELECT account_id, points FROM new_rows WHERE status = 'posted'
                     UNION ALL
                     SELECT account_id, -points FROM old_rows WHERE status = 'posted'
                   ) AS d GROUP BY account_id) AS s
             WHERE a.id = s.account_id AND s.total <> 0;
         END IF;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_entry_posted_total_insert AFTER INSERT ON points_entry
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION points_entry_posted_total();""",
    """CREATE TRIGGER points_entry_posted_total_update AFTER UPDATE ON points_entry
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION points_entry_posted_total();""",
    """CREATE OR REPLACE FUNCTION points_balance_check() RETURNS trigger AS $$
       DECLARE
         bal bigint;
         total bigint;
       BEGIN
         SELECT balance, posted_total INTO bal, total FROM points_account WHERE id = NEW.id;
         IF bal IS DISTINCT FROM total THEN
           RAISE EXCEPTION 'points account %: balance % differs from its posted entries (%)',
             NEW.id, bal, total;
         END IF;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER points_account_balance_matches
       AFTER INSERT OR UPDATE OF balance, posted_total ON points_account
       DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW EXECUTE FUNCTION points_balance_check();""",
]

# Back to migration 0002's triggers (the full sum at commit).
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS points_account_balance_matches ON points_account;",
    "DROP TRIGGER IF EXISTS points_entry_posted_total_update ON points_entry;",
    "DROP TRIGGER IF EXISTS points_entry_posted_total_insert ON points_entry;",
    "DROP FUNCTION IF EXISTS points_entry_posted_total();",
    "DROP TRIGGER IF EXISTS points_account_total_guard ON points_account;",
    "DROP FUNCTION IF EXISTS points_account_total_guard();",
    "ALTER TABLE points_account DROP COLUMN IF EXISTS posted_total;",
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


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)  # "%" in RAISE formats

    return run


class Migration(migrations.Migration):
    dependencies = [("points", "0004_allocation_guards")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_DROP))]
