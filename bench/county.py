"""A county for the benchmarks on PostgreSQL, built in bulk SQL: the database, Django set up
with the production settings, and villages × households each with a rule set, one large grid
and one area. Used by bench/ledger.py and bench/outbox.py."""

import os
import secrets
import subprocess
import time


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def setup_django(database_url: str):
    """Production settings (no query log, the production cache), the secrets generated."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CUNZHI_AUDIT_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    import django

    django.setup()


def county_structure(cursor, villages: int, households: int, **rules):
    """The township 测速县 with `villages` villages (rule sets with `rules`), each with one large
    grid, one area and `households` active households; returns the township."""
    from village.models import RuleSet, Township, Village

    township = Township.objects.create(name="测速县", code="benchcounty")
    cursor.execute(
        """INSERT INTO village_village (township_id, name, code, seal_number)
           SELECT %s, '测速村' || g, 'bv' || g, '' FROM generate_series(1, %s) g""",
        [township.pk, villages],
    )
    RuleSet.objects.bulk_create(
        [RuleSet(village=v, **rules) for v in Village.objects.filter(township=township)],
        batch_size=1000,
    )
    cursor.execute(
        """INSERT INTO village_grid (village_id, parent_id, level, name)
           SELECT id, NULL, 'large', '第一网格' FROM village_village WHERE township_id = %s""",
        [township.pk],
    )
    cursor.execute(
        """INSERT INTO village_grid (village_id, parent_id, level, name)
           SELECT g.village_id, g.id, 'area', '一片区' FROM village_grid g
           WHERE g.level = 'large'"""
    )
    cursor.execute(
        """INSERT INTO village_household (village_id, number, area_id, address, status)
           SELECT a.village_id, 'H' || lpad(n::text, 4, '0'), a.id, '', 'active'
           FROM village_grid a, generate_series(1, %s) n WHERE a.level = 'area'""",
        [households],
    )
    return township


def database_finish(db: str, *, keep: bool, started: float) -> None:
    """Close the connections, then drop the bench's database (or say where it was kept)."""
    from django.db import connections

    connections.close_all()
    if keep:
        print(f"kept: postgres://postgres@127.0.0.1:5432/{db}")
    else:
        psql(f"DROP DATABASE IF EXISTS {db}")
    print(f"whole run {time.perf_counter() - started:.0f} s")
