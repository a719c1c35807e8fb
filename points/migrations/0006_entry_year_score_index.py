"""A year's scores of a village (allocations, star rounds) read from one index, without visiting
the entries' rows, scattered among a county's millions (selectors.year_scores).

PostgreSQL: the key columns and INCLUDE (account_id, points), an index-only scan. SQLite has no
INCLUDE: the same columns are all keys there, which SQLite uses as a covering index too. Kept out
of the model's Meta.indexes, so that SQLite's system checks do not warn about INCLUDE.
"""

from django.db import migrations

NAME = "entry_village_year_score"
KEY = "village_id, year, status, kind"
CREATE = {
    "postgresql": f"CREATE INDEX {NAME} ON points_entry ({KEY}) INCLUDE (account_id, points);",
    "sqlite": f"CREATE INDEX {NAME} ON points_entry ({KEY}, account_id, points);",
}


def create(apps, schema_editor):
    sql = CREATE.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME};")


class Migration(migrations.Migration):
    dependencies = [("points", "0005_balance_check_in_constant_time")]

    operations = [migrations.RunPython(create, drop)]
