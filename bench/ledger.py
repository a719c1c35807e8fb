"""The points ledger at county scale on PostgreSQL.

Usage (the database is created and dropped by the script):

    .venv/bin/python bench/ledger.py [--villages 300] [--households 500] [--entries 5000000]

Builds a county (villages × households, one account each) and generates the entries in bulk
with INSERT … SELECT generate_series (the balance triggers are bypassed for the bulk load only,
then the balances are set from the entries and `check_ledger`'s query confirms them). Prints:

- balance read p50/p95 (the materialised balance by household) after 10 % of the entries and
  after all of them: the ratio shows whether a read grows with the ledger;
- posting throughput: redemptions through `points.services.redeem` (one transaction each:
  account lock, entry, balance, stock, receipt, audit row) on one client, as a ratio to
  `pgbench`'s built-in TPC-B-like script on one client on the same machine in the same run;
- a county-wide allocation over every household: scores aggregated in one query, the split by
  largest remainder, and the shares bulk-inserted — time, and ratio to a bare bulk insert of
  the same rows.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", sql],
        check=True,
        capture_output=True,
    )


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings.dev")
    import django

    django.setup()


def build(villages: int, households: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from village.models import Township

    township = Township.objects.create(name="测速县", code="benchcounty")
    with connection.cursor() as c:
        c.execute(
            """INSERT INTO village_village (township_id, name, code, seal_number)
               SELECT %s, '测速村' || g, 'bv' || g, '' FROM generate_series(1, %s) g""",
            [township.pk, villages],
        )
    # Each village gets its rule set, one large grid with one area, its households, accounts.
    from village.models import RuleSet, Village

    RuleSet.objects.bulk_create(
        [RuleSet(village=v) for v in Village.objects.filter(township=township)], batch_size=1000
    )
    with connection.cursor() as c:
        c.execute(
            """INSERT INTO village_grid (village_id, parent_id, level, name)
               SELECT id, NULL, 'large', '第一网格' FROM village_village WHERE township_id = %s""",
            [township.pk],
        )
        c.execute(
            """INSERT INTO village_grid (village_id, parent_id, level, name)
               SELECT g.village_id, g.id, 'area', '一片区' FROM village_grid g
               JOIN village_village v ON v.id = g.village_id
               WHERE v.township_id = %s AND g.level = 'large'""",
            [township.pk],
        )
        c.execute(
            """INSERT INTO village_household (village_id, number, area_id, address, status)
               SELECT a.village_id, 'H' || lpad(n::text, 4, '0'), a.id, '', 'active'
               FROM village_grid a JOIN village_village v ON v.id = a.village_id,
                    generate_series(1, %s) n
               WHERE v.township_id = %s AND a.level = 'area'""",
            [households, township.pk],
        )
        c.execute(
            """INSERT INTO points_account (village_id, household_id, balance, opened_at)
               SELECT village_id, id, 0, now() FROM village_household"""
        )


def load_entries(count: int, start: int) -> float:
    """Append `count` posted entries spread over every account, in bulk; return seconds."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SELECT min(id), max(id) FROM points_account")
        low, high = c.fetchone()
        c.execute("SET session_replication_role = replica")  # bulk load: no per-row checks
        c.execute(
            """INSERT INTO points_entry
                 (account_id, village_id, kind, points, year, occurred_on, reason, photo, status,
                  recorded_at, posted_at, review_note, idempotency_key)
               SELECT a.id, a.village_id, 'conduct', (CASE WHEN mod(s, 7) = 0 THEN -3 ELSE 5 END),
                      2026, date '2026-01-01' + mod(s, 300)::int, '门前三包落实到位', '', 'posted',
                      now(), now(), '', 'bench-' || s
               FROM generate_series(%s, %s) s
               JOIN points_account a ON a.id = %s + mod(s, %s - %s + 1)""",
            [start, start + count - 1, low, high, low],
        )
        c.execute("SET session_replication_role = origin")
        c.execute(
            """UPDATE points_account a SET balance = t.total
               FROM (SELECT account_id, sum(points) total FROM points_entry
                     WHERE status = 'posted' GROUP BY account_id) t
               WHERE t.account_id = a.id"""
        )
        c.execute("ANALYZE points_entry")
        c.execute("ANALYZE points_account")
    return time.perf_counter() - t0


def balance_reads(samples: int) -> tuple[float, float]:
    from points.models import Account

    ids = list(Account.objects.values_list("household_id", flat=True))
    rng = random.Random(7)
    times = []
    for household_id in rng.choices(ids, k=samples):
        t0 = time.perf_counter()
        Account.objects.only("balance").get(household_id=household_id, villager__isnull=True)
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def postings(n: int) -> float:
    """Redemptions through the service, one transaction each; returns postings per second."""
    from points import services
    from points.models import StoreItem
    from village.models import Household, Village
    from village.permissions import SYSTEM

    village = Village.objects.order_by("pk").first()
    item = StoreItem.objects.create(village=village, name="洗衣粉", points_price=1, stock=n + 10)
    households = list(Household.objects.filter(village=village).order_by("pk")[:200])
    t0 = time.perf_counter()
    for i in range(n):
        services.redeem(
            actor=SYSTEM, household=households[i % len(households)], item=item, quantity=1
        )
    return n / (time.perf_counter() - t0)


def pgbench_tps(seconds: int) -> float:
    db = f"pgbench_{os.getpid()}"
    psql(f"CREATE DATABASE {db}")
    try:
        subprocess.run(
            ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-i", "-s", "1", "-q", db],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-c", "1", "-T", str(seconds), db],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        psql(f"DROP DATABASE IF EXISTS {db}")


def county_allocation() -> tuple[float, float, int]:
    """Time of the county-wide allocation vs a bare bulk insert of the same share rows."""
    from django.db import connection
    from django.db.models import Sum

    from points.allocation import allocate
    from points.models import Allocation, Entry, Share
    from village.models import Household, Village

    village = Village.objects.order_by("pk").first()
    t0 = time.perf_counter()
    scores = dict(
        Entry.objects.filter(year=2026, status="posted", kind__in=["conduct", "opening"])
        .values_list("account__household_id")
        .annotate(total=Sum("points"))
    )
    numbers = dict(Household.objects.values_list("pk", "number"))
    weights = {f"{numbers[h]}#{h}": max(s - 100, 0) for h, s in scores.items()}
    parts = allocate(50_000_000_00, weights)
    allocation = Allocation.objects.create(
        village=village, year=2026, title="全县积分奖励", pool_fen=50_000_000_00, rule_text="-"
    )
    rows = [
        Share(
            allocation=allocation,
            household_id=int(key.split("#")[1]),
            score=scores[int(key.split("#")[1])],
            weight=part.weight,
            amount_fen=part.amount,
            rank=rank,
        )
        for rank, (key, part) in enumerate(parts.items(), start=1)
    ]
    Share.objects.bulk_create(rows, batch_size=5000)
    total = time.perf_counter() - t0
    assert sum(p.amount for p in parts.values()) == 50_000_000_00
    # Baseline: the same rows, already built, bulk-inserted into a second allocation.
    other = Allocation.objects.create(
        village=village, year=2026, title="基线", pool_fen=1, rule_text="-"
    )
    for row in rows:
        row.pk = None
        row.allocation = other
    t0 = time.perf_counter()
    Share.objects.bulk_create(rows, batch_size=5000)
    bare = time.perf_counter() - t0
    connection.close()
    return total, bare, len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--postings", type=int, default=2000)
    args = parser.parse_args()
    db = f"cunzhi_bench_ledger_{os.getpid()}"
    psql(f"CREATE DATABASE {db}")
    started = time.perf_counter()
    try:
        setup_django(f"postgres://postgres@127.0.0.1:5432/{db}")
        t0 = time.perf_counter()
        build(args.villages, args.households)
        print(
            f"county: {args.villages} villages × {args.households} households "
            f"built in {time.perf_counter() - t0:.1f} s"
        )
        tenth = args.entries // 10
        load = load_entries(tenth, 1)
        small_p50, small_p95 = balance_reads(2000)
        print(
            f"entries: {tenth:,} loaded in {load:.1f} s; balance read p50 {small_p50:.3f} ms, "
            f"p95 {small_p95:.3f} ms"
        )
        load = load_entries(args.entries - tenth, tenth + 1)
        big_p50, big_p95 = balance_reads(2000)
        print(
            f"entries: {args.entries:,} (after {load:.1f} s more); balance read p50 "
            f"{big_p50:.3f} ms, p95 {big_p95:.3f} ms; "
            f"p50 ratio 100 %/10 % of the ledger = {big_p50 / small_p50:.2f}×"
        )
        from points.selectors import balances_differing

        t0 = time.perf_counter()
        differing = balances_differing()
        print(
            f"check_ledger over {args.entries:,} entries: {len(differing)} differing, "
            f"{time.perf_counter() - t0:.1f} s"
        )
        rate = postings(args.postings)
        tps = pgbench_tps(20)
        print(
            f"postings: {rate:.0f}/s through points.services.redeem (1 client); pgbench "
            f"TPC-B-like {tps:.0f} tps (1 client); ratio {rate / tps:.2f}×"
        )
        total, bare, n = county_allocation()
        print(
            f"allocation: {n:,} households in {total:.1f} s (aggregate + largest remainder + "
            f"bulk insert); bare bulk insert of the same rows {bare:.1f} s; "
            f"ratio {total / bare:.2f}×"
        )
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {db}")
        print(f"whole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
