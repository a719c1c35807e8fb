"""A published list stays what the village was told and the resolution decided: no share added
to a published allocation; a published star round and its ratings never changed (but for a
rating's revocation) and nothing of them deleted — also through raw SQL."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER points_share_published_no_insert BEFORE INSERT ON points_share
       WHEN (SELECT published_at FROM points_allocation WHERE id = NEW.allocation_id)
         IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a published allocation takes no new share'); END;""",
    """CREATE TRIGGER points_starround_published_no_update BEFORE UPDATE ON points_starround
       WHEN OLD.published_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a published star round cannot be changed'); END;""",
    """CREATE TRIGGER points_starround_no_delete BEFORE DELETE ON points_starround
       BEGIN SELECT RAISE(ABORT, 'star rounds cannot be deleted'); END;""",
    """CREATE TRIGGER points_starrating_published_no_insert BEFORE INSERT ON points_starrating
       WHEN (SELECT published_at FROM points_starround WHERE id = NEW.round_id) IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a published star round takes no new rating'); END;""",
    """CREATE TRIGGER points_starrating_published_fixed BEFORE UPDATE ON points_starrating
       WHEN (SELECT published_at FROM points_starround WHERE id = OLD.round_id) IS NOT NULL
         AND (NEW.stars IS NOT OLD.stars OR NEW.score IS NOT OLD.score
              OR NEW.household_id IS NOT OLD.household_id OR NEW.round_id IS NOT OLD.round_id)
       BEGIN SELECT RAISE(ABORT, 'a published rating changes only by revocation'); END;""",
    """CREATE TRIGGER points_starrating_no_delete BEFORE DELETE ON points_starrating
       BEGIN SELECT RAISE(ABORT, 'star ratings cannot be deleted'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS points_share_published_no_insert;",
    "DROP TRIGGER IF EXISTS points_starround_published_no_update;",
    "DROP TRIGGER IF EXISTS points_starround_no_delete;",
    "DROP TRIGGER IF EXISTS points_starrating_published_no_insert;",
    "DROP TRIGGER IF EXISTS points_starrating_published_fixed;",
    "DROP TRIGGER IF EXISTS points_starrating_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION points_published_list_guard() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION '% on %: a published list stays as published', TG_OP, TG_TABLE_NAME;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE FUNCTION points_share_insert_guard() RETURNS trigger AS $$
       BEGIN
         IF (SELECT published_at FROM points_allocation WHERE id = NEW.allocation_id)
            IS NOT NULL THEN
           RAISE EXCEPTION 'a published allocation takes no new share';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_share_published_no_insert BEFORE INSERT ON points_share
       FOR EACH ROW EXECUTE FUNCTION points_share_insert_guard();""",
    """CREATE TRIGGER points_starround_published_no_update BEFORE UPDATE ON points_starround
       FOR EACH ROW WHEN (OLD.published_at IS NOT NULL)
       EXECUTE FUNCTION points_published_list_guard();""",
    """CREATE TRIGGER points_starround_no_delete BEFORE DELETE ON points_starround
       FOR EACH ROW EXECUTE FUNCTION points_published_list_guard();""",
    """CREATE TRIGGER points_starround_no_truncate BEFORE TRUNCATE ON points_starround
       FOR EACH STATEMENT EXECUTE FUNCTION points_published_list_guard();""",
    """CREATE OR REPLACE FUNCTION points_starrating_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           RAISE EXCEPTION 'star ratings cannot be deleted';
         END IF;
         IF (SELECT published_at FROM points_starround WHERE id = NEW.round_id) IS NOT NULL
            AND (TG_OP = 'INSERT' OR NEW.stars IS DISTINCT FROM OLD.stars
                 OR NEW.score IS DISTINCT FROM OLD.score
                 OR NEW.household_id IS DISTINCT FROM OLD.household_id
                 OR NEW.round_id IS DISTINCT FROM OLD.round_id) THEN
           RAISE EXCEPTION 'a published rating changes only by revocation';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER points_starrating_guard BEFORE INSERT OR UPDATE OR DELETE
       ON points_starrating FOR EACH ROW EXECUTE FUNCTION points_starrating_guard();""",
    """CREATE TRIGGER points_starrating_no_truncate BEFORE TRUNCATE ON points_starrating
       FOR EACH STATEMENT EXECUTE FUNCTION points_published_list_guard();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS points_starrating_no_truncate ON points_starrating;",
    "DROP TRIGGER IF EXISTS points_starrating_guard ON points_starrating;",
    "DROP FUNCTION IF EXISTS points_starrating_guard();",
    "DROP TRIGGER IF EXISTS points_starround_no_truncate ON points_starround;",
    "DROP TRIGGER IF EXISTS points_starround_no_delete ON points_starround;",
    "DROP TRIGGER IF EXISTS points_starround_published_no_update ON points_starround;",
    "DROP TRIGGER IF EXISTS points_share_published_no_insert ON points_share;",
    "DROP FUNCTION IF EXISTS points_share_insert_guard();",
    "DROP FUNCTION IF EXISTS points_published_list_guard();",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0010_entry_recusal_note"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
