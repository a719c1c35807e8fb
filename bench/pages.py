"""Public pages against a bare Wagtail page with the same base template, in one run.

Usage:  .venv/bin/python bench/pages.py [--runs 60] [--database-url sqlite:////tmp/cz-bench.db]
                                         [--redis redis://127.0.0.1:6379/9]

Loads the demo into a scratch database (SQLite by default; an existing one is reused), adds a bare
page (a StandardPage with an empty body, rendered through the same `village/base.html`), then
renders through the Django test client, in-process: the village home and the notice index,
anonymous and as a villager, the rules and the moral models, and the bare page anonymous and as
the villager.

Each page is measured in modes: "fresh" renders its lists anew on every request (every fragment
made stale before each one, as a publication does); "cached" serves them from the cache
(pages/fragments.py), as a running site does between publications; the villager's pages also
"read": only the villager's own fragments are stale, as after they confirm a notice. The pages
are requested in interleaved rounds, so that a slower moment of a shared machine slows every page
alike.

Prints the median of each, the ratio to the bare page seen by the same visitor and to the
anonymous bare page, and the query count of each; then the goal (issue 16) beside the village
home rendered fresh for the villager. The cache is a scratch directory (as
`make run`), or Redis with --redis (as production).
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

GOAL = (
    "goal: village home for a villager, fresh render ≤ 1.2× a bare Wagtail page with the same "
    "base template"
)
GOAL_RATIO = 1.2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    if args.redis:
        os.environ["REDIS_URL"] = args.redis
    else:
        os.environ["CUNZHI_CACHE_DIR"] = tempfile.mkdtemp(prefix="cz-bench-cache-")
    scratch = None
    if not args.database_url:
        scratch = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False).name
        args.database_url = f"sqlite:///{scratch}"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "village.settings.dev"
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from pages import fragments

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    print("loading the demo into a scratch database …", flush=True)
    call_command("migrate", verbosity=0)
    from pages.models import StandardPage, VillageHomePage

    if not VillageHomePage.objects.filter(village__code="dongmaopu").exists():
        call_command("load_demo", force=True, verbosity=0)
    home = VillageHomePage.objects.get(village__code="dongmaopu")
    bare = StandardPage.objects.child_of(home).filter(slug="bench-bare").first()
    if bare is None:
        bare = StandardPage(title="空白页", slug="bench-bare", body=[])
        home.add_child(instance=bare)
        bare.save_revision().publish()
    villager = get_user_model().objects.get(username="villager")

    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(villager)
    cache.clear()
    print(f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}", flush=True)
    # (label, client, url, baseline label); the baselines first
    cases = [
        ("bare page, anonymous", anonymous, bare.url, None),
        ("bare page, villager", signed_in, bare.url, None),
        ("village home, anonymous", anonymous, home.url, "bare page, anonymous"),
        ("village home, villager", signed_in, home.url, "bare page, villager"),
        ("notice index, anonymous", anonymous, home.url + "notices/", "bare page, anonymous"),
        ("notice index, villager", signed_in, home.url + "notices/", "bare page, villager"),
        ("rules page, anonymous", anonymous, home.url + "rules/", "bare page, anonymous"),
        ("moral-model index, anonymous", anonymous, home.url + "models/", "bare page, anonymous"),
    ]

    def make_stale(mode):
        if mode == "fresh":
            fragments.site_changed(None)
        elif mode == "read":
            fragments.reader_changed(villager.pk)

    def one(client, url, mode):
        make_stale(mode)
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, url
        return elapsed

    def modes(client, baseline):
        if baseline is None:
            return ("",)
        if client is signed_in:
            return ("fresh", "read", "cached")
        return ("fresh", "cached")

    # Each page rendered afresh is followed by the same page from the cache it just filled.
    runs = [
        (label, mode, client, url, baseline)
        for label, client, url, baseline in cases
        for mode in modes(client, baseline)
    ]
    counts = {}
    for label, mode, client, url, _baseline in runs:
        for _i in range(3):  # warm up
            one(client, url, mode)
        make_stale(mode)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[(label, mode)] = len(queries)  # now: later requests clear the log
    # Interleaved rounds: a slower moment of the machine slows every page alike.
    times = {(label, mode): [] for label, mode, *_rest in runs}
    for _round in range(args.runs):
        for label, mode, client, url, _baseline in runs:
            times[(label, mode)].append(one(client, url, mode))
    results = {
        (label, mode): (statistics.median(times[(label, mode)]), counts[(label, mode)], baseline)
        for label, mode, _client, _url, baseline in runs
    }
    anonymous_base = results[("bare page, anonymous", "")][0]
    print(f"{'page':30} {'':7} {'median ms':>9} {'ratio':>7} {'vs anon':>8} {'queries':>8}")
    for (label, mode), (median, count, baseline) in results.items():
        base = results[(baseline, "")][0] if baseline else median
        print(
            f"{label:30} {mode:7} {median * 1000:9.2f} {median / base:6.2f}× "
            f"{median / anonymous_base:7.2f}× {count:8d}"
        )
    home_fresh = results[("village home, villager", "fresh")][0]
    ratio = home_fresh / results[("bare page, villager", "")][0]
    print(f"{GOAL}  →  {ratio:.2f}× ({'met' if ratio <= GOAL_RATIO else 'NOT met'})")
    if scratch:
        os.unlink(scratch)


if __name__ == "__main__":
    main()
