"""An authenticated API read on the production stack, against a static file from the same server.

Usage (PostgreSQL and Redis on 127.0.0.1, `wrk` on the PATH):

    .venv/bin/python bench/api_read.py [--rounds 4] [--seconds 5] [--concurrency 16]
                                       [--workers 2] [--database NAME] [--keep]

Without --database it creates a scratch database and loads the demo into it (`load_demo`, a
village of 320 households, through the app's own services); with --database it uses that one
as it is (the demo loaded before, e.g. by an earlier --keep). It then starts the production
stack as bench/votes.py does (its helpers: gunicorn with `village.settings.production`,
PostgreSQL with every guard the migrations install, Redis as the cache, DB_CONN_MAX_AGE=60).

wrk (one thread; Debian's, else the run stops) drives it in alternating rounds of the same
length, after a warm-up:
  me      GET /api/v1/me with the bearer token of the demo's villager (phone 13800000001);
  static  GET /static/village/site.<hash>.css through whitenoise.
Each round prints its rate, p50/p95 latency, non-2xx answers and the CPU (user+sys, /proc) of
the gunicorn master and workers per request, and the ratio of the two rates. Then it asks for
/api/v1/me once for each of the demo's twenty villagers with logins, their cached roles
dropped first (a user's first request of the day), and prints the CPU per such request. The
goal is printed beside the figures; a missed goal is reported, not an error.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.votes import (  # noqa: E402
    ADMIN_URL,
    LUA_STATIC,
    STATIC_FILE,
    Bench,
    describe,
    lua,
    server_cpu,
    spent,
    stack_env,
    start_gunicorn,
    totals,
)

GOAL = (
    "goal: an authenticated API read (GET /api/v1/me) at ≥ 40 % of the rate of a static file "
    "served by the same gunicorn"
)
GOAL_RATIO = 0.40
ME_PATH = "/api/v1/me"

LUA_ME = r"""
local get

function init(args)
  get = wrk.format("GET", ME_PATH, {["Authorization"] = "Bearer " .. TOKEN})
end
function request() return get end
function response(status, headers, body) note(status, body) end
"""


class ReadBench(Bench):
    def me(self, token: str, seconds: float) -> dict:
        out = self.work / f"out{self.runs + 1}.txt"
        return self.wrk(lua(LUA_ME, out, ME_PATH=ME_PATH, TOKEN=token), out, seconds)

    def static(self, static_path: str, seconds: float) -> dict:
        out = self.work / f"out{self.runs + 1}.txt"
        return self.wrk(lua(LUA_STATIC, out, STATIC_PATH=static_path), out, seconds)


def tokens_of_villagers() -> list[str]:
    """A fresh bearer token for each demo villager who logs in with a phone (the first is
    `villager`)."""
    from django.contrib.auth import get_user_model
    from wagtail.models import APIToken

    users = get_user_model().objects.filter(
        villager__phone__in=[f"138000000{i:02d}" for i in range(1, 21)]
    )
    users = sorted(users, key=lambda u: u.villager.phone)
    return [APIToken.create_token(user=u, name="bench-api-read")[1] for u in users]


def first_requests(base: str, master: int, tokens: list[str]) -> float:
    """CPU ms of the server per /api/v1/me of a user whose roles are not cached."""
    from django.core.cache import cache

    cache.clear()  # the roles (and every fragment): as on a user's first request of the day
    before = server_cpu(master)
    for token in tokens:
        request = urllib.request.Request(
            base + ME_PATH, headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200, answer.status
    time.sleep(0.2)
    return spent(before, server_cpu(master)) / len(tokens) * 1000


def run(args, env: dict, db: str, work: Path) -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.db import connection

    static_path = staticfiles_storage.url(STATIC_FILE)
    tokens = tokens_of_villagers()
    if not tokens:
        sys.exit("no demo villagers in the database (load_demo)")
    connection.close()
    server, base = start_gunicorn(args.port, args.workers, env, static_path)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0].split()[0]
        print(
            f"stack: gunicorn {args.workers} sync workers (village.wsgi, production settings), "
            f"PostgreSQL {pg_version}, Redis {args.redis}; {os.cpu_count()} cores shared with "
            f"wrk (1 thread, {args.concurrency} connections)"
        )
        print(f"read: GET {ME_PATH} as the demo's villager; baseline: GET {static_path}")
        bench = ReadBench(args, server.pid, db, work, base)
        bench.static(static_path, 2)
        bench.me(tokens[0], 2)
        reads, statics = [], []
        for i in range(args.rounds):
            m = bench.me(tokens[0], args.seconds)
            s = bench.static(static_path, args.seconds)
            reads.append(m)
            statics.append(s)
            ratio = (m["ok"] / m["seconds"]) / (s["ok"] / s["seconds"])
            print(f"round {i + 1}  " + describe("me    ", m, "req "))
            print(f"         {describe('static', s, 'req ')}  me/static {ratio:.3f}")
        first_ms = first_requests(base, server.pid, tokens)
    finally:
        server.terminate()
        server.wait()
    m, s = totals(reads), totals(statics)
    ratio = m["rate"] / s["rate"]
    for name, t in (("me    ", m), ("static", s)):
        print(
            f"{name}: {t['rate']:.1f} req/s ({t['ok']} in {t['seconds']:.1f} s), p50 "
            f"{t['p50']:.1f} ms, p95 {t['p95']:.1f} ms, non-2xx {t['non2xx']}, 5xx {t['5xx']}, "
            f"socket errors {t['socket']}; gunicorn CPU {t['server_ms']:.2f} ms/req, "
            f"PostgreSQL backends {t['pg_ms']:.2f} ms/req"
        )
    print(f"ratio me/static: {ratio:.3f}")
    print(f"a user's first request (roles not cached): {first_ms:.2f} ms gunicorn CPU")
    print(
        f"other programs on the machine kept {m['others']:.2f} of {os.cpu_count()} cores busy "
        f"during the me rounds, {s['others']:.2f} during the static rounds"
    )
    met = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"{GOAL}  →  {ratio * 100:.1f} % ({met})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="", help="an existing database with the demo")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    db = args.database or f"cunzhi_bench_api_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="cz-bench-api-"))
    env = stack_env(db, work, args.redis)
    os.environ.update(env)
    if not args.database:
        subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {db}"], check=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not args.database:
            print("loading the demo into a scratch database …", flush=True)
            call_command("load_demo", force=True, verbosity=0)
        run(args, env, db, work)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database or args.keep:
            print(f"kept {env['DATABASE_URL']}")
        else:
            subprocess.run(["psql", ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
