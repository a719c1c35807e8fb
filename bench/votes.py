"""Votes through the API on the production stack, against a static file from the same server.

Usage (PostgreSQL and Redis on 127.0.0.1, `wrk` on the PATH; the database is created and
dropped by the script):

    .venv/bin/python bench/votes.py [--voters 2000] [--rounds 4] [--concurrency 16]
                                    [--workers 2] [--open] [--keep]

It builds, through the app's own services, a village of N adult villagers who each hold an API
token and puts a matter to a villagers' meeting vote, secret unless --open. It then starts the
production stack: gunicorn (`village.wsgi`, `village.settings.production` — only its static
files collected into a scratch directory, bench/production_settings.py), PostgreSQL with every
database guard the migrations install, Redis as the cache, DB_CONN_MAX_AGE=60.

wrk (one thread, a generated Lua script) drives it at the same concurrency in alternating
rounds, after a warm-up:
  votes   POST /api/v1/matters/{id}/vote {"choice": …} with a bearer token; a vote uses up its
          voter, so each round walks through its own share of the tokens and ends with the
          answer to its last one (the script is generated with that round's tokens);
  static  GET /static/village/site.<hash>.css through whitenoise, for as long as the vote
          round before it took (to the second).
Each round reports its rate, p50/p95 latency (wrk's), non-2xx and 5xx answers, and the CPU
time (user+sys, /proc) the gunicorn master and workers spent in it, per request; also the CPU
of the database's PostgreSQL backends and of wrk per vote, and how busy other programs kept
the machine meanwhile (the cores are shared). Then it checks that every 200 is one
participation, that the sealed (or, --open, counted) ballots hold exactly the receipts and
choices the voters were given, and that `verify_audit` passes, and prints the goal beside the
figures. A missed goal is reported, not an error: the exit status is non-zero only when a check
fails.
"""

import argparse
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = "goal: ≥ 200 votes/s on 2 cores, ≤ 10 ms CPU per vote"
GOAL_RATE = 200
GOAL_CPU_MS = 10
STATIC_FILE = "village/site.css"
WARMUP_VOTES = 50
TICK = os.sysconf("SC_CLK_TCK")


# --- wrk scripts ----------------------------------------------------------------------------

# Shared by both scripts: count the answers per status, keep the receipt and choice of each
# accepted vote and a few error bodies, and write everything to OUT when the run is done.
LUA_COMMON = r"""
statuses, receipts, samples, fillers = {}, {}, {}, 0

local function note(status, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and #samples < 5 then
    table.insert(samples, status .. " " .. string.gsub(string.sub(body, 1, 300), "\n", " "))
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local out, st, fill = io.open(OUT, "w"), {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
    for _, r in ipairs(t:get("receipts")) do out:write("receipt ", r, "\n") end
    for _, s in ipairs(t:get("samples")) do out:write("sample ", s, "\n") end
    fill = fill + t:get("fillers")
  end
  for k, v in pairs(st) do out:write(string.format("status %d %d\n", k, v)) end
  local e = summary.errors
  out:write(string.format(
    "duration %d\nrequests %d\np50 %d\np95 %d\nfillers %d\nsocket_errors %d\ntimeouts %d\n",
    summary.duration, summary.requests, latency:percentile(50), latency:percentile(95), fill,
    e.connect + e.read + e.write, e.timeout))
  out:close()
end
"""

# Each request takes the next token; once the round's tokens are all sent, a connection that
# is free asks for the static file instead (a "filler": gunicorn's sync workers would block on
# a connection that stays open and silent), and the thread stops at the answer to the last
# vote, so the server accepts no vote the client did not see. The fillers are counted, and
# their CPU (at the rate of the static round that follows) is taken out of the vote round's.
LUA_VOTES = r"""
local ffi = require("ffi")
ffi.cdef("int getpid(void); int kill(int pid, int sig);")
local tokens = {TOKENS}
local n, issued, answered, checked = #tokens, 0, 0, false
local votes, filler
local choices = {"yes", "no", "abstain"}

function init(args)
  votes = {}
  for i = 1, n do
    votes[i] = wrk.format("POST", VOTE_PATH, {
      ["Authorization"] = "Bearer " .. tokens[i],
      ["Content-Type"] = "application/json",
    }, '{"choice": "' .. choices[(i - 1) % 3 + 1] .. '"}')
  end
  filler = wrk.format("GET", STATIC_PATH)
end

function request()
  -- wrk calls request() once before the run to check the script: that vote is never sent.
  if not checked then
    checked = true
    return votes[1]
  end
  if issued < n then
    issued = issued + 1
    return votes[issued]
  end
  fillers = fillers + 1
  return filler
end

function response(status, headers, body)
  if string.find(headers["Content-Type"] or "", "text/css", 1, true) then return end
  answered = answered + 1
  note(status, body)
  if status == 200 then
    table.insert(receipts, (string.match(body, '"receipt"%s*:%s*"([^"]+)"') or "?") .. " " ..
      (string.match(body, '"choice"%s*:%s*"([^"]+)"') or "?"))
  end
  if answered >= n then
    -- wrk runs for its whole duration whatever its threads do; SIGINT ends it now.
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)
  end
end
"""

LUA_STATIC = r"""
local get

function init(args) get = wrk.format("GET", STATIC_PATH) end
function request() return get end
function response(status, headers, body) note(status, body) end
"""


def lua(template: str, out: Path, **values) -> str:
    text = f"OUT = {json.dumps(str(out))}\n"
    text += "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items() if k != "tokens")
    if "tokens" in values:
        template = template.replace(
            "{TOKENS}", "{" + ", ".join(json.dumps(t) for t in values["tokens"]) + "}"
        )
    return text + LUA_COMMON + template


# --- CPU time from /proc --------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+sys seconds) of a process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def server_cpu(master: int) -> dict[int, float]:
    """CPU seconds of the gunicorn master and each of its workers, by pid."""
    found = {master: (_stat(master) or (0, 0.0))[1]}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] == master:
                found[int(entry.name)] = stat[1]
    return found


def postgres_cpu(cursor, database: str) -> dict[int, float]:
    """CPU seconds of the client backends of the bench database, except this script's own."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'",
        [database],
    )
    return {pid: stat[1] for (pid,) in cursor.fetchall() if (stat := _stat(pid))}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two samples; a process that appeared counts from zero."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores, not idle nor waiting on I/O)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


# --- the production stack (also used by bench/api_read.py) ----------------------------------

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def stack_env(db: str, work: Path, redis: str) -> dict:
    """The environment of the production settings for database `db`, static files in `work`."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.production_settings",
        "BENCH_STATIC_ROOT": str(work / "static"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "CUNZHI_AUDIT_KEY": secrets.token_urlsafe(48),
        "REDIS_URL": redis,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "DB_CONN_MAX_AGE": "60",
    }


def start_gunicorn(port: int, workers: int, env: dict, static_path: str):
    """gunicorn serving `village.wsgi` with `env`, once it answers for the static file:
    (the process, its base URL)."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "village.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    for _i in range(300):
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode} (see its log above)")
        try:
            urllib.request.urlopen(base + static_path, timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        sys.exit("gunicorn did not answer within a minute")
    return server, base


# --- the run --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, master: int, database: str, work: Path, base: str):
        from django.db import connection

        self.args = args
        self.master = master
        self.database = database
        self.work = work
        self.base = base
        self.cursor = connection.cursor()
        self.runs = 0

    def wrk(self, script_text: str, out: Path, seconds: float) -> dict:
        self.runs += 1
        script = self.work / f"run{self.runs}.lua"
        script.write_text(script_text)
        window = time.perf_counter()
        busy_before = machine_busy()
        server_before = server_cpu(self.master)
        pg_before = postgres_cpu(self.cursor, self.database)
        wrk_before = children_cpu()
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{self.args.concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                self.base,
            ],
            capture_output=True,
            text=True,
        )
        wrk_cpu = children_cpu() - wrk_before
        # Requests a static round left in flight when its time ran out finish in this round.
        time.sleep(0.2)
        server = spent(server_before, server_cpu(self.master))
        pg = spent(pg_before, postgres_cpu(self.cursor, self.database))
        busy = machine_busy() - busy_before
        window = time.perf_counter() - window
        if done.returncode or not out.exists():
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        result = {
            "statuses": Counter(),
            "receipts": [],
            "samples": [],
            "server_cpu": server,
            "pg_cpu": pg,
            "wrk_cpu": wrk_cpu,
            "others_cpu": busy - server - pg - wrk_cpu,
            "window": window,
        }
        for line in out.read_text().splitlines():
            key, _sep, value = line.partition(" ")
            if key == "status":
                status, count = value.split()
                result["statuses"][int(status)] += int(count)
            elif key == "receipt":
                result["receipts"].append(tuple(value.split()))
            elif key == "sample":
                result["samples"].append(value)
            else:
                result[key] = int(value)
        result["seconds"] = result["duration"] / 1e6
        result["ok"] = sum(n for s, n in result["statuses"].items() if 200 <= s < 300)
        result["non2xx"] = sum(n for s, n in result["statuses"].items() if not 200 <= s < 300)
        result["5xx"] = sum(n for s, n in result["statuses"].items() if s >= 500)
        return result

    def votes(self, matter_id: int, static_path: str, tokens: list[str]) -> dict:
        out = self.work / f"out{self.runs + 1}.txt"
        text = lua(
            LUA_VOTES,
            out,
            VOTE_PATH=f"/api/v1/matters/{matter_id}/vote",
            STATIC_PATH=static_path,
            tokens=tokens,
        )
        # A generous cap: the round ends with the answer to its last vote, long before.
        return self.wrk(text, out, max(60, len(tokens) / 5))

    def static(self, static_path: str, seconds: float) -> dict:
        out = self.work / f"out{self.runs + 1}.txt"
        return self.wrk(lua(LUA_STATIC, out, STATIC_PATH=static_path), out, seconds)


def describe(name: str, r: dict, unit: str) -> str:
    rate = r["ok"] / r["seconds"]
    cpu = r["server_cpu"] / r["ok"] * 1000 if r["ok"] else float("nan")
    return (
        f"{name} {r['ok']:6d} in {r['seconds']:5.2f} s {rate:8.1f}/s  "
        f"p50 {r['p50'] / 1000:6.1f} ms p95 {r['p95'] / 1000:6.1f} ms  "
        f"non-2xx {r['non2xx']} 5xx {r['5xx']}  server CPU {cpu:5.2f} ms/{unit}"
    )


def totals(results: list[dict]) -> dict:
    ok = sum(r["ok"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    return {
        "ok": ok,
        "seconds": seconds,
        "rate": ok / seconds,
        "non2xx": sum(r["non2xx"] for r in results),
        "5xx": sum(r["5xx"] for r in results),
        "socket": sum(r["socket_errors"] + r["timeouts"] for r in results),
        "server_ms": sum(r["server_cpu"] for r in results) / ok * 1000 if ok else float("nan"),
        "pg_ms": sum(r["pg_cpu"] for r in results) / ok * 1000 if ok else float("nan"),
        "wrk_ms": sum(r["wrk_cpu"] for r in results) / ok * 1000 if ok else float("nan"),
        "p50": statistics.median(r["p50"] for r in results) / 1000,
        "p95": statistics.median(r["p95"] for r in results) / 1000,
        "fillers": sum(r["fillers"] for r in results),
        # Cores busy on average with anything but this benchmark (other programs on the machine).
        "others": sum(r["others_cpu"] for r in results) / sum(r["window"] for r in results),
    }


def check(label: str, passed: bool, detail: str) -> bool:
    print(f"  {'ok  ' if passed else 'FAIL'} {label}: {detail}")
    return passed


def verify(matter_id: int, ballot_mode: str, sent: set[int], answers: list) -> bool:
    """Every 200 is one participation of a voter we sent; the box holds exactly the receipts
    and choices the voters were given; the audit chain and the recounts hold."""
    from django.core.management import CommandError, call_command

    from deliberation import ballot_box
    from deliberation.models import Ballot, Matter, Participation, SealedBallot
    from deliberation.selectors import current_vote_meeting

    meeting = current_vote_meeting(Matter.objects.get(pk=matter_id))
    accepted = [a for r in answers for a in r["receipts"]]
    answered = sum(sum(r["statuses"].values()) for r in answers)
    voters = list(Participation.objects.filter(meeting=meeting).values_list("voter_id", flat=True))
    distinct = set(voters)
    print("checks:")
    good = check(
        "one participation per accepted vote",
        len(voters) == len(accepted) == len(distinct) and distinct <= sent,
        f"{len(accepted)} votes answered 200 (of {len(sent)} sent, {answered} answered), "
        f"{len(voters)} participations of {len(distinct)} distinct voters, "
        f"all among the voters sent: {distinct <= sent}",
    )
    if len(accepted) == len(sent):
        good &= check(
            "every voter sent voted exactly once",
            distinct == sent and len(voters) == len(sent),
            f"{len(sent)} voters, {len(distinct)} with one participation each",
        )
    if ballot_mode == "secret":
        sealed = list(SealedBallot.objects.filter(meeting=meeting))
        opened = [
            ballot_box.unseal(meeting_id=meeting.pk, key_id=s.key_id, sealed=s.sealed)
            for s in sealed
        ]
        box = Counter((receipt, choice) for choice, receipt in opened)
        good &= check(
            "sealed ballots = the receipts and choices answered",
            box == Counter(accepted) and len(sealed) == len(voters),
            f"{len(sealed)} sealed ballots opened with the meeting's key, tally "
            f"{dict(Counter(c for c, _r in opened))}, "
            f"counted ballots before the count: {Ballot.cast.filter(meeting=meeting).count()}",
        )
    else:
        ballots = list(
            Ballot.cast.filter(meeting=meeting).values_list("receipt", "choice", "voter")
        )
        good &= check(
            "counted ballots = the receipts and choices answered",
            Counter((r, c) for r, c, _v in ballots) == Counter(accepted)
            and {v for _r, _c, v in ballots} == distinct,
            f"{len(ballots)} ballots naming {len({v for *_x, v in ballots})} voters, tally "
            f"{dict(Counter(c for _r, c, _v in ballots))}",
        )
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
        passed = True
    except CommandError as exc:
        err.write(str(exc))
        passed = False
    good &= check("verify_audit", passed, (out.getvalue() + err.getvalue()).strip())
    return good


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--open", action="store_true", help="an open ballot instead of secret")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    per_round = (args.voters - WARMUP_VOTES) // args.rounds
    if per_round < 2 * args.concurrency:
        sys.exit(f"too few voters: {per_round} a round for {args.concurrency} connections")
    ballot_mode = "open" if args.open else "secret"
    db = f"cunzhi_bench_votes_{os.getpid()}"
    admin = ADMIN_URL
    work = Path(tempfile.mkdtemp(prefix="cz-bench-votes-"))
    env = stack_env(db, work, args.redis)
    url = env["DATABASE_URL"]
    os.environ.update(env)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
    server = None
    good = True
    try:
        import django

        django.setup()
        from django.contrib.staticfiles.storage import staticfiles_storage
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        static_path = staticfiles_storage.url(STATIC_FILE)
        print(f"building a village of {args.voters} voters, {ballot_mode} ballot …", flush=True)
        started = time.perf_counter()
        from bench.vote_village import build

        matter_id, voters = build(args.voters, ballot_mode)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        connection.close()
        server, base = start_gunicorn(args.port, args.workers, env, static_path)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        print(
            f"stack: gunicorn {args.workers} sync workers (village.wsgi, production settings), "
            f"PostgreSQL {pg_version.split()[0]}, Redis {args.redis}; {os.cpu_count()} cores "
            f"shared with wrk (1 thread, {args.concurrency} connections)"
        )
        print(
            f"votes: POST /api/v1/matters/{matter_id}/vote ({ballot_mode} ballot), "
            f"{per_round} voters a round; baseline: GET {static_path}"
        )
        bench = Bench(args, server.pid, db, work, base)
        tokens = [t for _v, t in voters]
        bench.static(static_path, 2)
        warm = bench.votes(matter_id, static_path, tokens[:WARMUP_VOTES])
        answers, vote_rounds, static_rounds = [warm], [], []
        for i in range(args.rounds):
            start = WARMUP_VOTES + i * per_round
            v = bench.votes(matter_id, static_path, tokens[start : start + per_round])
            s = bench.static(static_path, v["seconds"])
            # The fillers' CPU, at this round's static rate, is not the votes'.
            v["server_cpu"] -= v["fillers"] * s["server_cpu"] / max(s["ok"], 1)
            answers.append(v)
            vote_rounds.append(v)
            static_rounds.append(s)
            print(f"round {i + 1}  " + describe("votes ", v, "vote"))
            ratio = (v["ok"] / v["seconds"]) / (s["ok"] / s["seconds"])
            print(f"         {describe('static', s, 'req ')}  votes/static {ratio:.3f}")
        sent = voters[: WARMUP_VOTES + args.rounds * per_round]
        v, s = totals(vote_rounds), totals(static_rounds)
        print(
            f"votes : {v['rate']:.1f} votes/s ({v['ok']} in {v['seconds']:.1f} s), p50 "
            f"{v['p50']:.1f} ms, p95 {v['p95']:.1f} ms, non-2xx {v['non2xx']}, 5xx {v['5xx']}, "
            f"socket errors {v['socket']}"
        )
        print(
            f"static: {s['rate']:.1f} req/s ({s['ok']} in {s['seconds']:.1f} s), p50 "
            f"{s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, non-2xx {s['non2xx']}, 5xx {s['5xx']}, "
            f"socket errors {s['socket']}"
        )
        print(f"ratio votes/static: {v['rate'] / s['rate']:.3f}")
        print(
            f"CPU per vote: gunicorn {v['server_ms']:.2f} ms, PostgreSQL backends "
            f"{v['pg_ms']:.2f} ms, wrk {v['wrk_ms']:.2f} ms; per static request: gunicorn "
            f"{s['server_ms']:.2f} ms, wrk {s['wrk_ms']:.2f} ms"
        )
        print(
            f"other programs on the machine kept {v['others']:.2f} of {os.cpu_count()} cores "
            f"busy during the vote rounds, {s['others']:.2f} during the static rounds"
        )
        print(
            f"static fillers sent at the end of the vote rounds: {v['fillers']} "
            f"(their CPU taken out of the votes')"
        )
        if any(r["samples"] for r in answers):
            print("non-2xx answers to votes (the first few of each round):")
            for r in answers:
                for sample in r["samples"]:
                    print(f"  answer: {sample}")
        good = verify(matter_id, ballot_mode, {vid for vid, _t in sent}, answers)
        rate_met = v["rate"] >= GOAL_RATE
        cpu_met = v["server_ms"] <= GOAL_CPU_MS
        print(
            f"{GOAL}  →  {v['rate']:.1f} votes/s ({'met' if rate_met else 'NOT met'}), "
            f"{v['server_ms']:.2f} ms CPU per vote ({'met' if cpu_met else 'NOT met'}; "
            f"{v['server_ms'] + v['pg_ms']:.2f} ms with PostgreSQL's), "
            f"{v['non2xx'] + v['socket']} errors"
        )
    finally:
        if server:
            server.terminate()
            server.wait()
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {url} (CUNZHI_AUDIT_KEY={env['CUNZHI_AUDIT_KEY']})")
        else:
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
