"""The points ledger at county scale on PostgreSQL, every database guard on.

Usage (the databases are created and dropped by the script):

    .venv/bin/python bench/ledger.py [--villages 300] [--households 500] [--entries 5000000]
                                     [--small 10000] [--rounds 3] [--seconds 5]

Builds a county (villages × households, one account each; the structure in bulk SQL, a real
secretary per village and a store keeper through the app's services) and measures at two sizes
of the ledger, `--small` entries and then `--entries`:

- posting: redemptions through `points.services.redeem` by the store keeper (a real user, the
  permission check on), one transaction each, on one client, alternating rounds with `pgbench`'s
  built-in TPC-B-like script on one client against its own database on the same server; the
  households redeeming hold about one entry of history at the small size and a tenth of all the
  entries at the large one — the cost must not follow the history;
- balance reads (p50/p95) at both sizes, and `check_ledger`'s full sum at the large one;
- a county-wide allocation over every household: `points.services.allocation_create` for each
  village by its secretary (scores, split, shares, the audit chain with the shares' SHA-256),
  alternating rounds with a raw `COPY` of the same share rows.

The entries are generated in bulk with INSERT … SELECT generate_series, with the triggers and
foreign keys on: every account first gets 100 base points (so no account goes below zero at any
`--entries`), the database's running totals follow each statement (migration 0005), and each
load sets the balances from them in the same transaction, which the deferred check verifies at
commit; `check_ledger` then recomputes every balance from the entries.
"""

import argparse
import io
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.county import (  # noqa: E402
    county_structure,
    database_finish,
    psql,
    setup_django,
)

GOAL_POSTING = (
    "goal: points posting (a store redemption) ≥ 25 % of `pgbench` TPC-B tps on the same "
    "machine; cost independent of the account's history"
)
GOAL_ALLOCATION = (
    "goal: county allocation, 150,000 households ≤ 3× a raw bulk insert (`COPY`) of the same "
    "rows, through the app's own allocation service"
)
POSTING_HOUSEHOLDS = 20
PGBENCH = ["pgbench", "-h", "127.0.0.1", "-U", "postgres"]
YEAR = date.today().year


# --- the county ---------------------------------------------------------------------------------


def build(villages: int, households: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as c:
        county_structure(c, villages, households)
        c.execute(
            """INSERT INTO points_account (village_id, household_id, balance, opened_at)
               SELECT village_id, id, 0, now() FROM village_household"""
        )
    cadres()
    with transaction.atomic(), connection.cursor() as c:
        # Base points for every account, so that no account is ever taken below zero.
        c.execute(
            """INSERT INTO points_entry
                 (account_id, village_id, kind, points, year, occurred_on, reason, photo, status,
                  recorded_at, posted_at, review_note, idempotency_key)
               SELECT id, village_id, 'opening', 100, %s, make_date(%s, 1, 1), '年度基础分', '',
                      'posted', now(), now(), '', 'opening-' || id
               FROM points_account""",
            [YEAR, YEAR],
        )
        c.execute("UPDATE points_account SET balance = posted_total")


def cadres() -> None:
    """A secretary per village (and the store keeper of the first) through the app's services:
    real users whose roles the permission checks read."""
    from django.contrib.auth import get_user_model

    from village.demo.plan import id_number
    from village.models import Household, Village, VillageRole
    from village.permissions import SYSTEM
    from village.services import membership_create, villager_create

    User = get_user_model()
    birth = date(1975, 3, 1)
    for n, village in enumerate(Village.objects.order_by("pk"), start=1):
        household = Household.objects.filter(village=village).order_by("pk").first()
        villager = villager_create(
            actor=SYSTEM,
            village=village,
            household=household,
            name="书记",
            id_number=id_number(birth, n, True),
            birth_date=birth,
            gender="m",
        )
        user = User(username=f"secretary-{village.code}")
        user.set_unusable_password()  # the bench calls the services as this user directly
        user.save()
        villager.user = user
        villager.save(update_fields=["user"])
        roles = [VillageRole.SECRETARY] + ([VillageRole.STORE_KEEPER] if n == 1 else [])
        for role in roles:
            membership_create(
                actor=SYSTEM, village=village, villager=villager, role=role, start=date(YEAR, 1, 1)
            )


def load_entries(count: int, start: int, deep_share: float) -> float:
    """Append `count` posted entries in bulk, guards on; `deep_share` of them go to the
    households that redeem in the posting rounds. Returns seconds."""
    from django.db import connection, transaction

    from points.models import Account

    deep = [a.pk for a in posting_accounts()]
    deep_count = int(count * deep_share)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        low = Account.objects.order_by("pk").values_list("pk", flat=True).first()
        high = Account.objects.order_by("-pk").values_list("pk", flat=True).first()
        c.execute(
            """INSERT INTO points_entry
                 (account_id, village_id, kind, points, year, occurred_on, reason, photo, status,
                  recorded_at, posted_at, review_note, idempotency_key)
               SELECT a.id, a.village_id, 'conduct', (CASE WHEN mod(s, 7) = 0 THEN -3 ELSE 5 END),
                      %s, make_date(%s, 1, 1) + mod(s, 300)::int, '门前三包落实到位', '', 'posted',
                      now(), now(), '', 'bench-' || s
               FROM generate_series(%s, %s) s
               JOIN points_account a ON a.id = CASE
                 WHEN s - %s < %s THEN (%s::bigint[])[1 + mod(s, %s)]
                 ELSE %s + mod(s, %s - %s + 1) END""",
            [
                YEAR,
                YEAR,
                start,
                start + count - 1,
                start,
                deep_count,
                deep,
                len(deep),
                low,
                high,
                low,
            ],
        )
        c.execute("UPDATE points_account SET balance = posted_total WHERE balance <> posted_total")
    with connection.cursor() as c:  # what autovacuum does after a large load, at once
        c.execute("VACUUM ANALYZE points_entry")
        c.execute("VACUUM ANALYZE points_account")
    return time.perf_counter() - t0


def posting_accounts():
    from points.models import Account

    first = Account.objects.order_by("pk").values_list("village_id", flat=True).first()
    return list(Account.objects.filter(village_id=first).order_by("pk")[:POSTING_HOUSEHOLDS])


def history_of_posting_accounts() -> int:
    from points.models import Entry

    accounts = posting_accounts()
    return Entry.objects.filter(account__in=accounts).count() // len(accounts)


# --- what is measured ---------------------------------------------------------------------------


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


class Counter:
    """The store keeper at the counter of the first village."""

    def __init__(self):
        from points.services import store_item_create
        from village.models import Village

        self.accounts = posting_accounts()
        village = Village.objects.get(pk=self.accounts[0].village_id)
        self.keeper = keeper_of(village)
        self.item = store_item_create(
            actor=self.keeper, village=village, name="洗衣粉", points_price=1, stock=10**8
        )
        # With their village, as the counter's view loads them (not read again per redemption).
        from village.models import Household

        by_id = Household.objects.select_related("village").in_bulk(
            [a.household_id for a in self.accounts]
        )
        self.households = [by_id[a.household_id] for a in self.accounts]
        self.done = 0
        credit(self.accounts, keeper_of(village))

    def redeem(self):
        from points.services import redeem

        household = self.households[self.done % len(self.households)]
        self.done += 1
        redeem(actor=self.keeper, household=household, item=self.item, quantity=1)

    def round(self, seconds: float) -> tuple[float, float]:
        """Redemptions for `seconds`: (per second, client CPU ms per redemption)."""
        n, cpu0, t0 = 0, time.process_time(), time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            self.redeem()
            n += 1
        wall = time.perf_counter() - t0
        return n / wall, (time.process_time() - cpu0) * 1000 / n

    def queries(self) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.redeem()
        return len(captured.captured_queries)


def credit(accounts, actor) -> None:
    """A large credit on each redeeming account, through the ledger's one posting primitive (as
    year_open does), so that no round runs out of points however fast it goes."""
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from points.models import Entry, EntryKind, EntryStatus
    from points.services.ledger import entries_post

    entries = [
        Entry(
            idempotency_key=f"bench-credit-{a.pk}",
            account=a,
            village_id=a.village_id,
            kind=EntryKind.CONDUCT,
            points=10**7,
            year=YEAR,
            occurred_on=date(YEAR, 1, 2),
            reason="测速备用积分",
            status=EntryStatus.POSTED,
            recorded_by=actor,
        )
        for a in accounts
    ]
    with transaction.atomic():
        entries_post(entries=entries, actor=actor)
        bulk_create_with_history(entries, Entry, default_user=actor)


def keeper_of(village):
    from village.models import Membership, VillageRole

    membership = Membership.objects.filter(
        village=village, role=VillageRole.STORE_KEEPER
    ).select_related("villager__user")
    return membership.get().villager.user


class Pgbench:
    def __init__(self):
        self.db = f"pgbench_{os.getpid()}"
        psql(f"CREATE DATABASE {self.db}")
        subprocess.run(
            [*PGBENCH, "-i", "-s", "1", "-q", self.db],
            check=True,
            capture_output=True,
        )

    def round(self, seconds: float) -> float:
        out = subprocess.run(
            [*PGBENCH, "-c", "1", "-T", str(int(seconds)), self.db],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))

    def drop(self):
        psql(f"DROP DATABASE IF EXISTS {self.db}")


def posting_rounds(counter: Counter, pgbench: Pgbench, rounds: int, seconds: float) -> dict:
    rates, cpus, tps = [], [], []
    counter.round(1)  # warm: the keeper's roles, the connection
    for _ in range(rounds):
        rate, cpu = counter.round(seconds)
        rates.append(rate)
        cpus.append(cpu)
        tps.append(pgbench.round(seconds))
    return {
        "rate": statistics.median(rates),
        "cpu": statistics.median(cpus),
        "tps": statistics.median(tps),
        "queries": counter.queries(),
        "history": history_of_posting_accounts(),
    }


def allocation_rounds(rounds: int) -> tuple[float, float, int]:
    """Per round: every village's allocation through the service, then a COPY of the same
    rows into bare allocations. Returns (median service s, median COPY s, households)."""
    from django.db import connection
    from django.db.models import Count

    from points.models import Allocation, Share
    from points.services import allocation_create
    from village.models import Village

    villages = list(Village.objects.order_by("pk"))
    secretaries = {v.pk: secretary_of(v) for v in villages}
    households = dict(
        Village.objects.annotate(n=Count("households")).values_list("pk", "n").order_by()
    )
    service_times, copy_times, rows = [], [], 0
    for r in range(1, rounds + 1):
        t0 = time.perf_counter()
        made = [
            allocation_create(
                actor=secretaries[v.pk],
                village=v,
                year=YEAR,
                title=f"{YEAR}年度积分奖励（第{r}轮）",
                pool_fen=households[v.pk] * 100_00,  # ¥100 a household, ¥300 at most
                floor=50,  # every household holds 100 base points: all share, at any --entries
                cap_fen=300_00,
                idempotency_key=f"bench-{r}-{v.pk}",
            )
            for v in villages
        ]
        service_times.append(time.perf_counter() - t0)
        fields = ("household_id", "score", "weight", "eligible", "reason", "amount_fen", "rank")
        shares = list(Share.objects.filter(allocation__in=made).values_list("allocation", *fields))
        rows = len(shares)
        bare = {
            a.pk: Allocation.objects.create(
                village_id=a.village_id, year=YEAR, title="COPY 基线", pool_fen=1, rule_text="-"
            ).pk
            for a in made
        }
        buffer = io.StringIO()
        for allocation, *values in shares:
            buffer.write("\t".join(str(v) for v in (bare[allocation], *values)) + "\n")
        t0 = time.perf_counter()
        with connection.cursor() as c:
            columns = ", ".join(("allocation_id", *fields))
            with c.connection.cursor().copy(f"COPY points_share ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        copy_times.append(time.perf_counter() - t0)
    return statistics.median(service_times), statistics.median(copy_times), rows


def secretary_of(village):
    from village.models import Membership, VillageRole

    membership = Membership.objects.filter(village=village, role=VillageRole.SECRETARY)
    return membership.select_related("villager__user").get().villager.user


# --- the run ------------------------------------------------------------------------------------


def report_postings(label: str, figures: dict) -> None:
    print(
        f"  {label}: {figures['rate']:.0f} redemptions/s (client CPU {figures['cpu']:.1f} ms, "
        f"{figures['queries']} queries each; the redeeming households hold "
        f"{figures['history']:,} entries each) · pgbench TPC-B-like {figures['tps']:.0f} tps · "
        f"ratio {figures['rate'] / figures['tps']:.0%}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (to inspect)")
    args = parser.parse_args()
    args.small = min(args.small, args.entries)
    db = f"cunzhi_bench_ledger_{os.getpid()}"
    psql(f"CREATE DATABASE {db}")
    started = time.perf_counter()
    pgbench = None
    try:
        setup_django(f"postgres://postgres@127.0.0.1:5432/{db}")
        t0 = time.perf_counter()
        build(args.villages, args.households)
        print(
            f"county: {args.villages} villages × {args.households} households, base points "
            f"posted, in {time.perf_counter() - t0:.1f} s"
        )
        pgbench = Pgbench()
        counter = Counter()
        print(GOAL_POSTING)
        load = load_entries(args.small, 1, deep_share=0)
        small_p50, small_p95 = balance_reads(2000)
        small = posting_rounds(counter, pgbench, args.rounds, args.seconds)
        print(f"entries {args.small:,} (loaded in {load:.1f} s):")
        report_postings("posting", small)
        load = load_entries(args.entries - args.small, args.small + 1, deep_share=0.1)
        big_p50, big_p95 = balance_reads(2000)
        big = posting_rounds(counter, pgbench, args.rounds, args.seconds)
        print(f"entries {args.entries:,} (loaded in {load:.1f} s more):")
        report_postings("posting", big)
        print(
            f"  history {small['history']:,} → {big['history']:,} entries per redeeming "
            f"household: posting rate {big['rate'] / small['rate']:.2f}× (1.00× = flat), "
            f"queries {small['queries']} → {big['queries']}"
        )
        print(
            f"balance read p50 {small_p50:.3f} → {big_p50:.3f} ms, p95 {small_p95:.3f} → "
            f"{big_p95:.3f} ms ({big_p50 / small_p50:.2f}×)"
        )
        from points.selectors import balances_differing

        t0 = time.perf_counter()
        differing = balances_differing()
        print(
            f"check_ledger (the full sum) over {args.entries + counter.done:,} entries: "
            f"{len(differing)} differing, {time.perf_counter() - t0:.1f} s"
        )
        print(GOAL_ALLOCATION)
        service, copy, rows = allocation_rounds(args.rounds)
        print(
            f"  {rows:,} households in {args.villages} villages: allocation_create "
            f"{service:.2f} s, raw COPY of the same rows {copy:.2f} s: ratio {service / copy:.2f}×"
            f" (median of {args.rounds} alternating rounds)"
        )
    finally:
        if pgbench is not None:
            pgbench.drop()
        database_finish(db, keep=args.keep, started=started)


if __name__ == "__main__":
    main()
