"""Vote casting: 500 villagers vote through the API within a minute, from a concurrent client.

Usage (PostgreSQL; the database is created and dropped by the script):

    .venv/bin/python bench/votes.py [--voters 500] [--clients 32] [--workers 4]

It builds a village with N adult villagers who each hold an API token, puts a matter to a
villagers' meeting vote, starts gunicorn on PostgreSQL, and has a thread pool POST one vote per
villager to /api/v1/matters/{id}/vote. The baseline, measured in the same run with the same
client and server, is GET /api/v1/me for the same users (authenticated, one household read).
Prints throughput, p50/p95 latency, errors, the ballots counted, and the ratio vote/baseline.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings.dev")
    import django

    django.setup()


def build(voters: int) -> tuple[int, list[str]]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone
    from wagtail.models import APIToken

    from deliberation import services
    from deliberation.models import Matter
    from village import services as core
    from village.models import GridLevel, Household, Township, Villager
    from village.selectors import Body, body_members

    call_command("migrate", verbosity=0)
    township = Township.objects.create(name="测速镇", code="bench")
    village = core.village_create(actor=None, township=township, name="测速村", code="benchvillage")
    large = core.grid_create(actor=None, village=village, name="第一网格", level=GridLevel.LARGE)
    area = core.grid_create(
        actor=None, village=village, name="一片区", level=GridLevel.AREA, parent=large
    )
    User = get_user_model()
    households = Household.objects.bulk_create(
        [Household(village=village, number=f"B-{i:04d}", area=area) for i in range(voters)]
    )
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    people = []
    for i, household in enumerate(households):
        birth = date(1960, 1, 1) + timedelta(days=i * 17)
        body = f"370124{birth:%Y%m%d}{i % 999:03d}"
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        user = User.objects.create(username=f"v{i:04d}")
        people.append(
            Villager(
                village=village,
                household=household,
                name=f"村民{i}",
                id_number=body + check,
                birth_date=birth,
                gender="m",
                user=user,
            )
        )
    Villager.objects.bulk_create(people)
    tokens = [
        APIToken.create_token(user=u, name="bench")[1]
        for u in User.objects.filter(username__startswith="v").order_by("username")
    ]
    # Cadres: the first three villagers hold the branch and village committee roles.
    day = timezone.localdate() - timedelta(days=10)
    first = list(Villager.objects.filter(village=village).order_by("id")[:3])
    for i, v in enumerate(first):
        core.membership_create(
            actor=None,
            village=village,
            villager=v,
            role="secretary" if i == 0 else "branch_committee",
            start=day,
        )
        core.membership_create(
            actor=None, village=village, villager=v, role="village_committee", start=day
        )
    Villager.objects.filter(pk__in=[v.pk for v in first]).update(party_membership="full")
    matter = services.matter_create(
        actor=None,
        village=village,
        title="测速议题",
        body="测速用。",
        category="other",
        origin="cadre",
        deciding_body="villagers_meeting",
    )
    for step_day in (day, day + timedelta(days=1), day + timedelta(days=2)):
        matter = Matter.objects.get(pk=matter.pk)
        body = {1: Body.BRANCH_COMMITTEE, 2: Body.TWO_COMMITTEES, 3: Body.PARTY_MEMBERS}[
            matter.current_step
        ]
        members = [m.pk for m in body_members(village=village, body=body, on=step_day)]
        services.meeting_record(
            actor=None,
            matter=matter,
            held_on=step_day,
            present=members,
            votes={m: "yes" for m in members},
            minutes="测速",
        )
    now = timezone.now()
    services.matter_open_vote(
        actor=None,
        matter=Matter.objects.get(pk=matter.pk),
        held_on=timezone.localdate(),
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
    )
    return matter.pk, tokens


def request(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except Exception:  # connection errors count as errors
        status = 0
    return status, time.perf_counter() - started


def run(base, clients, jobs):
    results = []
    lock = threading.Lock()

    def one(job):
        outcome = request(base, *job)
        with lock:
            results.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, jobs))
    elapsed = time.perf_counter() - started
    latencies = sorted(r[1] for r in results)
    errors = sum(1 for status, _t in results if status != 200)
    return {
        "requests": len(results),
        "seconds": elapsed,
        "throughput": len(results) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "errors": errors,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    db = f"cunzhi_bench_{os.getpid()}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    url = f"postgres://postgres@127.0.0.1:5432/{db}"
    server = None
    try:
        setup_django(url)
        print(f"building a village of {args.voters} voters …", flush=True)
        matter_id, tokens = build(args.voters)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "village.settings.dev",
        }
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "village.wsgi",
                "-b",
                f"127.0.0.1:{args.port}",
                "-w",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_DEBUG": "0"},
        )
        base = f"http://127.0.0.1:{args.port}/api/v1"
        for _i in range(100):
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=2)
                break
            except Exception:
                time.sleep(0.2)
        baseline = run(base, args.clients, [("GET", "/me", t) for t in tokens])
        votes = run(
            base,
            args.clients,
            [("POST", f"/matters/{matter_id}/vote", t, {"choice": "yes"}) for t in tokens],
        )
        from deliberation.models import Ballot

        counted = Ballot.objects.filter(meeting__matter_id=matter_id, meeting__step=4).count()
        print(
            f"baseline GET /me : {baseline['requests']} req in {baseline['seconds']:.2f} s, "
            f"{baseline['throughput']:.1f} req/s, p50 {baseline['p50_ms']:.0f} ms, "
            f"p95 {baseline['p95_ms']:.0f} ms, errors {baseline['errors']}"
        )
        print(
            f"votes POST /vote : {votes['requests']} req in {votes['seconds']:.2f} s, "
            f"{votes['throughput']:.1f} req/s, p50 {votes['p50_ms']:.0f} ms, "
            f"p95 {votes['p95_ms']:.0f} ms, errors {votes['errors']}"
        )
        print(f"ballots counted  : {counted} of {args.voters}")
        print(
            f"ratio vote/baseline: p50 {votes['p50_ms'] / baseline['p50_ms']:.2f}×, "
            f"throughput {votes['throughput'] / baseline['throughput']:.2f}×"
        )
        print(
            f"goal: {args.voters} votes within 60 s with zero errors → "
            f"{'met' if votes['seconds'] <= 60 and votes['errors'] == 0 else 'NOT met'}"
        )
    finally:
        if server:
            server.terminate()
            server.wait()
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])


if __name__ == "__main__":
    main()
