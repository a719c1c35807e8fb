"""`make run`'s configuration under a burst: a real threaded server (runserver, dev settings) on
a fresh SQLite file; one villager sends the same vote 30 times at once while others vote, read
and write beside it. No 500: every answer is 2xx, 4xx or 503 with Retry-After, the vote counted
once, every other voter once.

Runs only on SQLite (the embedded default); PostgreSQL has tests/deliberation/test_concurrency.py.
"""

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded default only: PostgreSQL has its own concurrency tests",
)

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
VOTERS = 32
DUPLICATES = 30
PASSWORD = "live-test-12345"
LOGIN = f"v{VOTERS - 1:05d}"  # the one villager who also has a password

# Runs in a child process with the dev settings on the file database: migrate, then
# bench/vote_village.py builds the village (32 adult villagers with API tokens, a villagers'
# meeting matter open for an open online vote); one villager also gets a password for the token
# endpoint.
BUILD = """
import json, sys
sys.path.insert(0, {root!r})
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from bench.vote_village import build
matter, tokens = build({voters}, "open")
tokens = [token for _villager, token in tokens]
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username={login!r})
user.set_password({password!r})
user.save()
print("BUILT " + json.dumps({{"matter": matter, "tokens": tokens}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    return (
        "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
    )


@pytest.fixture
def live(tmp_path):
    """The built database and a running server with its task worker, as `make run` starts them."""
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "village.settings.dev",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "CUNZHI_CACHE_DIR": str(tmp_path / "cache"),
        "CUNZHI_AUDIT_KEY": "live-test-audit-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "PYTHONUNBUFFERED": "1",
    }
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            BUILD.format(
                root=str(ROOT),
                url=env["DATABASE_URL"],
                voters=VOTERS,
                login=LOGIN,
                password=PASSWORD,
            ),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    data = json.loads(
        next(line for line in built.stdout.splitlines() if line.startswith("BUILT "))[6:]
    )
    port = _free_port()
    log = tmp_path / "server.log"
    processes = []
    with open(log, "w") as out:
        for command in (["db_worker"], ["runserver", "--noreload", f"127.0.0.1:{port}"]):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", *command],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    base = f"http://127.0.0.1:{port}{API}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or processes[-1].poll() is not None:
                    pytest.fail("the server did not start:\n" + _tail(log))
                time.sleep(0.2)
        yield {**data, "port": port, "db": db, "log": log}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _request(conn, method, path, token=None, body=None):
    """(status, Retry-After, body text) over an open connection; status 0 when no HTTP answer
    came at all."""
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, API + path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After"), response.read().decode()
    except OSError as exc:
        return 0, None, repr(exc)
    finally:
        conn.close()


def _call(port, *call):
    return _request(http.client.HTTPConnection("127.0.0.1", port, timeout=60), *call)


def _all_at_once(port, jobs):
    """Every job on its own connection, all sent together; (label, status, retry, body).

    The connections are opened one after the other first: runserver listens with a backlog of
    10 (Django's WSGIServer), and a hundred connects in the same millisecond overflow it, which
    resets connections before Django sees them — not the database behaviour under test."""
    connections = []
    for _job in jobs:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        connections.append(conn)
    start = threading.Barrier(len(jobs))

    def one(conn, job):
        label, *call = job
        start.wait(timeout=30)
        return (label, *_request(conn, *call))

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, connections, jobs))


def _participations(db: Path, matter: int) -> Counter:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT u.username FROM deliberation_participation p"
            " JOIN deliberation_meeting m ON m.id = p.meeting_id"
            " JOIN village_villager v ON v.id = p.voter_id"
            " JOIN auth_user u ON u.id = v.user_id"
            " WHERE m.matter_id = ? AND m.step = 4",  # the resolution, not the committees' steps
            [matter],
        ).fetchall()
    return Counter(username for (username,) in rows)


def test_thirty_simultaneous_votes_of_one_villager_beside_other_traffic_never_500(live):
    port, matter, tokens = live["port"], live["matter"], live["tokens"]
    vote = f"/matters/{matter}/vote"
    repeater, others = tokens[0], tokens[1:]  # usernames v00000 (the duplicate voter), v00001 …
    jobs = [("duplicate vote", "POST", vote, repeater, {"choice": "yes"})] * DUPLICATES
    choices = ["yes", "no", "abstain"]
    jobs += [
        ("vote", "POST", vote, token, {"choice": choices[i % 3]}) for i, token in enumerate(others)
    ]
    for i in range(5):
        token = others[i]
        jobs += [
            ("read", "GET", "/me", token),
            ("read", "GET", "/matters", token),
            ("read", "GET", f"/matters/{matter}", token),
            ("read", "GET", "/notices", token),
            ("read", "GET", "/points/balance", token),
            ("suggestion", "POST", "/suggestions", token, {"text": f"第{i}条：村口路灯坏了。"}),
        ]
    jobs += [("login", "POST", "/auth/token", None, {"username": LOGIN, "password": PASSWORD})] * 2
    jobs += [
        ("bad login", "POST", "/auth/token", None, {"username": LOGIN, "password": "wrong"})
    ] * 2
    assert len(jobs) - DUPLICATES >= 30

    results = _all_at_once(port, jobs)

    statuses = Counter((label, status) for label, status, _retry, _body in results)
    print("status counts:", dict(sorted(statuses.items())))
    failures = [
        (label, status, body[:300])
        for label, status, retry, body in results
        if not (200 <= status < 300 or 400 <= status < 500 or (status == 503 and retry))
    ]
    assert failures == [], f"{failures}\nserver log:\n{_tail(live['log'])}"
    assert not [r for r in results if r[1] == 500]
    by_label = {label: [s for lab, s, _r, _b in results if lab == label] for label, *_ in jobs}
    assert by_label["duplicate vote"].count(200) <= 1
    assert set(by_label["login"]) <= {200, 503} and set(by_label["bad login"]) <= {401, 503}

    # Whatever was refused as busy may simply be sent again: a retry never counts twice.
    retried = [job for job, result in zip(jobs, results, strict=True) if result[1] == 503]
    for job in retried:
        _label, *call = job
        status, _retry, body = _call(port, *call)
        assert status < 500, body

    counted = _participations(live["db"], matter)
    assert counted["v00000"] == 1
    assert {name: n for name, n in counted.items() if n != 1} == {}
    assert set(counted) == {f"v{i:05d}" for i in range(len(tokens))}
    mine = json.loads(_call(port, "GET", f"/matters/{matter}", repeater)[2])
    assert mine["has_voted"] is True and mine["ballot_mode"] == "open"
    with sqlite3.connect(live["db"]) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        ballots = conn.execute(
            "SELECT count(*) FROM deliberation_ballot b JOIN deliberation_meeting m"
            " ON m.id = b.meeting_id WHERE m.matter_id = ? AND m.step = 4 AND b.choice != ''",
            [matter],
        ).fetchone()[0]
    assert ballots == len(tokens), "one ballot per voter, the duplicate's included once"
