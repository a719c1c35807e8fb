"""Admin pages at demo size against a bare Wagtail admin page (the dashboard), in one run.

Usage:  .venv/bin/python bench/admin_pages.py [--rounds 7] [--database-url sqlite:////tmp/x.db]

Loads the demo (one village of 320 households, 921 adult voters) into a scratch SQLite database
(or the one given; an existing demo is reused) and requests through the Django test client, in
interleaved rounds (so a slower moment of a shared machine slows every page alike): the admin
dashboard (baseline), a matter's page with the villagers' vote list and one with the meeting
form, the 通知未读户 overview, a notice's reach report and its 户情收集 answers, 消息发送, the
积分台账 ledger — as the secretary — and the audit trail PDF of the longest trail (queued for the
worker past `AUDIT_PDF_SYNC_EVENTS`, deliberation/tasks.py) and of the longest printed at once,
by the cadres and the inspector in turn: its first print (rendered) apart from the later ones
(the document already issued, handed out again). Then the queued PDF is made as the worker
would, and timed.

Prints the median ms of each, its queries, the ratio to the dashboard, and the goal.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = "goal: every admin page at demo size under 1 s"


def setup(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "village.settings.dev"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("CUNZHI_CACHE_DIR", tempfile.mkdtemp(prefix="cz-bench-cache-"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    # The bench requests pages; the audit PDF's background run is timed where it is queued.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    print("loading the demo …", flush=True)
    call_command("migrate", verbosity=0)
    from village.models import Village

    if not Village.objects.filter(code="dongmaopu").exists():
        call_command("load_demo", force=True, verbosity=0)


def trail_sizes():
    """The demo village's matters by the number of their audit events, fewest first."""
    from deliberation.models import Matter
    from deliberation.trail import trail_events

    matters = Matter.objects.filter(village__code="dongmaopu")
    return sorted((trail_events(m).count(), m.pk) for m in matters)


def cases(sizes):
    from django.urls import reverse

    from deliberation import tasks
    from deliberation.models import DecidingBody, Matter, MatterStatus

    voting = Matter.objects.filter(
        village__code="dongmaopu",
        status=MatterStatus.VOTING,
        deciding_body=DecidingBody.VILLAGERS_MEETING,
    ).first()
    # A matter at steps 1–3: the meeting form with its should-attend list and the village's
    # people as chair and recorder.
    recording = Matter.objects.filter(
        village=voting.village, status__in=[MatterStatus.DRAFT, MatterStatus.DELIBERATING]
    ).first()
    # The audit trail PDF: the longest trail that is printed at once (the smallest matter
    # warms the fonts up), and the longest of all (queued for the worker when past the limit).
    short = [pk for n, pk in sizes[1:] if n <= tasks.AUDIT_PDF_SYNC_EVENTS][-1:]
    found = [
        ("dashboard (baseline)", reverse("wagtailadmin_home")),
        ("matter page, voter list", reverse("deliberation_admin_matter", args=[voting.pk])),
        ("matter page, meeting form", reverse("deliberation_admin_matter", args=[recording.pk])),
        ("通知未读户 overview", reverse("pages_unread_overview")),
        # A village of 320 households: every household's reach, the ways told, the texts.
        ("reach report (320 households)", reverse("pages_unread", args=[_fire_notice()])),
        ("消息发送 outbox", reverse("village_outbox")),
        # The questionnaire half answered: completion by area, tallies, every household.
        ("户情收集 answers (320 households)", reverse("pages_notice_answers", args=[_asking()])),
        ("积分台账 ledger", reverse("points_admin_ledger")),
        (f"{PDF} ({sizes[-1][0]} events)", print_url(sizes[-1][1])),
    ]
    if short:
        n = dict((pk, n) for n, pk in sizes)[short[0]]
        found.append((f"{PDF} ({n} events)", print_url(short[0])))
    return found


def _fire_notice() -> int:
    from pages.models import NoticePage

    return NoticePage.objects.get(title__startswith="关于做好今冬明春防火工作的通知").pk


def _asking() -> int:
    from pages.models import NoticePage

    return NoticePage.objects.get(title="冬春季返乡人员户情登记").pk


def print_url(matter_id: int) -> str:
    from django.urls import reverse

    return reverse("deliberation_admin_print_trail", args=[matter_id])


PDF = "audit PDF"
# Who prints the audit trail in turn. A document already issued for the same content is handed
# out again without rendering: the first print of each is told apart from the later ones.
PRINTERS = ("secretary", "committee", "supervisor", "inspector")


def measure(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as done:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 302), (path, response.status_code)
    return elapsed, len(done), response


def pdf_label(label: str, response, codes: set) -> str:
    if response.status_code == 302:
        return f"{label}, queued"
    code = response["X-Document-Code"]
    seen = code in codes
    codes.add(code)
    return f"{label}, {'again' if seen else 'first print'}"


def report(times: dict, queries: dict) -> None:
    base = statistics.median(times["dashboard (baseline)"])
    print(f"{'page':36s} {'median ms':>10s} {'n':>3s} {'queries':>8s} {'× dashboard':>12s}")
    worst = 0.0
    for label, values in times.items():
        ms = statistics.median(values)
        worst = max(worst, ms)
        n = queries[label]
        print(f"{label:36s} {ms:10.0f} {len(values):3d} {n:8d} {ms / base:11.2f}×")
    print(f"slowest: {worst:.0f} ms — {'met' if worst < 1000 else 'NOT met'}")


def worker_run() -> None:
    """The queued audit trail made as `manage.py db_worker` would: the time it takes."""
    from deliberation import tasks
    from village.models import BatchStatus, DocumentBatch

    for batch in DocumentBatch.objects.filter(status=BatchStatus.QUEUED):
        started = time.perf_counter()
        tasks.audit_trail_pdf.call(batch.pk)
        ms = (time.perf_counter() - started) * 1000
        print(
            f"background: the queued audit PDF of matter {batch.params['matter']} made in "
            f"{ms:.0f} ms (the waiting page links to it then)"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url
    if not url:
        url = "sqlite:///" + tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False).name
    setup(url)
    from django.contrib.auth import get_user_model
    from django.test import Client

    clients = []
    for user in get_user_model().objects.filter(username__in=PRINTERS).order_by("username"):
        clients.append(Client())
        clients[-1].force_login(user)
    client = Client()
    client.force_login(get_user_model().objects.get(username="secretary"))
    sizes = trail_sizes()
    pages = cases(sizes)
    times, queries, codes = {}, {}, set()
    # Warm-up: content types, Wagtail's admin caches, the fonts (the smallest matter's trail).
    measure(client, print_url(sizes[0][1]))
    for label, path in pages:
        if not label.startswith(PDF):
            measure(client, path)
    for turn in range(args.rounds):
        for label, path in pages:
            who = clients[turn % len(clients)] if label.startswith(PDF) else client
            ms, n, response = measure(who, path)
            if label.startswith(PDF):
                if response.status_code == 302:  # the page that waits for the worker
                    waited = measure(who, response["Location"])
                    times.setdefault(f"{label}, waiting page", []).append(waited[0])
                    queries[f"{label}, waiting page"] = waited[1]
                label = pdf_label(label, response, codes)
            times.setdefault(label, []).append(ms)
            queries[label] = n
    report(times, queries)
    worker_run()
    print(GOAL)


if __name__ == "__main__":
    main()
