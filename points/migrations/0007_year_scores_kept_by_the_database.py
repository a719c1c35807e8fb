"""PostgreSQL: each household's conduct score of a year, kept by the database.

A county's allocation reads the year's score of 150,000 households; summing their entries (the
covering index of 0006) costs several milliseconds per village at five million entries, more
than the rest of the allocation. Now the database keeps the sum beside the entries, as it keeps
the balance's running total (0005):

- `points_year_score` (household, year → village, score): the posted entries of the household's
  account (the one of no single villager, as `selectors.year_scores` reads) of the kinds that
  make the year's score (conduct, reversal, opening — `SCORE_KINDS`; a redemption spends the
  balance, not the score), summed; keyed by household so that a village's allocation reads its
  households and their scores in one join, without visiting their accounts;
- a statement-level trigger on `points_entry` adds what an INSERT (or COPY) posts, and for an
  UPDATE what its new rows hold posted minus what its old rows held posted, per household and
  year, from the statement's own rows (transition tables), never from history;
- nobody else may write the table: a BEFORE trigger refuses any row that does not come from
  that trigger (a nested trigger, while no temporary table carries a trigger — as in 0005), and
  every DELETE and TRUNCATE.

`check_ledger` compares the kept scores with the sum of the entries, so a forgery by someone who
can switch triggers off is found. SQLite sums the entries (selectors.active_household_scores).
"""

from django.db import migrations

SCORE_KINDS = "('conduct', 'reversal', 'opening')"

POSTGRES = [
    """CREATE TABLE points_year_score (
         household_id bigint NOT NULL REFERENCES village_household (id),
         year integer NOT NULL,
         village_id bigint NOT NULL,
         score bigint NOT NULL,
         PRIMARY KEY (household_id, year));""",
    f"""INSERT INTO points_year_score (household_id, year, village_id, score)
        SELECT a.household_id, e.year, a.village_id, SUM(e.points)
        FROM points_entry AS e JOIN points_account AS a ON a.id = e.account_id
        WHERE a.villager_id IS NULL AND e.status = 'posted' AND e.kind IN {SCORE_KINDS}
        GROUP BY a.household_id, e.year, a.village_id;""",
    """CREATE OR REPLACE FUNCTION points_year_score_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
           RAISE EXCEPTION 'points year scores are never deleted';
         END IF;
         -- Only the entries' trigger (a nested trigger) may write a score; while a temporary
         -- table carries a trigger (the only triggers a role owning no table can make), no one.
         IF pg_trigger_depth() < 2 OR EXISTS (
              SELECT 1 FROM pg_catalog.pg_trigger AS t
              JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
              WHERE c.relpersistence = 't') THEN
           RAISE EXCEPTION 'points year score of household %: kept by the database from the '
             'posted entries', NEW.household_id;
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_year_score_guard BEFORE INSERT OR UPDATE OR DELETE
       ON points_year_score FOR EACH ROW EXECUTE FUNCTION points_year_score_guard();""",
    """CREATE TRIGGER points_year_score_no_truncate BEFORE TRUNCATE ON points_year_score
       FOR EACH STATEMENT EXECUTE FUNCTION points_year_score_guard();""",
    f"""CREATE OR REPLACE FUNCTION points_entry_year_score() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO points_year_score AS y (household_id, year, village_id, score)
              SELECT a.household_id, d.year, a.village_id, SUM(d.points)
              FROM new_rows AS d JOIN points_account AS a ON a.id = d.account_id
              WHERE a.villager_id IS NULL AND d.status = 'posted' AND d.kind IN {SCORE_KINDS}
              GROUP BY a.household_id, d.year, a.village_id
            ON CONFLICT (household_id, year) DO UPDATE SET score = y.score + EXCLUDED.score;
          ELSE
            -- What the statement leaves posted minus what it found posted, per household and
            -- year: no pairing of old and new rows (an UPDATE may change an id or an account).
            INSERT INTO points_year_score AS y (household_id, year, village_id, score)
              SELECT a.household_id, d.year, a.village_id, SUM(d.points)
              FROM (
                  SELECT account_id, year, points FROM new_rows
                  WHERE status = 'posted' AND kind IN {SCORE_KINDS}
                  UNION ALL
                  SELECT account_id, year, -points FROM old_rows
                  WHERE status = 'posted' AND kind IN {SCORE_KINDS}
                ) AS d
              JOIN points_account AS a ON a.id = d.account_id
              WHERE a.villager_id IS NULL
              GROUP BY a.household_id, d.year, a.village_id HAVING SUM(d.points) <> 0
            ON CONFLICT (household_id, year) DO UPDATE SET score = y.score + EXCLUDED.score;
          END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_entry_year_score_insert AFTER INSERT ON points_entry
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION points_entry_year_score();""",
    """CREATE TRIGGER points_entry_year_score_update AFTER UPDATE ON points_entry
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION points_entry_year_score();""",
]

POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS points_entry_year_score_update ON points_entry;",
    "DROP TRIGGER IF EXISTS points_entry_year_score_insert ON points_entry;",
    "DROP FUNCTION IF EXISTS points_entry_year_score();",
    "DROP TABLE IF EXISTS points_year_score;",
    "DROP FUNCTION IF EXISTS points_year_score_guard();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)  # "%" in RAISE formats

    return run


class Migration(migrations.Migration):
    dependencies = [("points", "0006_entry_year_score_index")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_DROP))]
