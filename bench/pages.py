"""Public pages against a bare Wagtail page with the same base template, in one run.

Usage:  .venv/bin/python bench/pages.py [--runs 60] [--database-url sqlite:////tmp/cz-bench.db]

Loads the demo into a scratch database (SQLite by default), adds a bare page (a StandardPage with
an empty body, rendered through the same `village/base.html`), then renders through the Django
test client, in-process: the village home and the notice index, anonymous and as a villager, and
the bare page. Prints the median of each and the ratio to the bare page (goal ≤ 1.5×), and the
query count of each page.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
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
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    print("loading the demo into a scratch database …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_demo", force=True, verbosity=0)

    from pages.models import StandardPage, VillageHomePage

    home = VillageHomePage.objects.get(village__code="dongmaopu")
    bare = StandardPage(title="空白页", slug="bench-bare", body=[])
    home.add_child(instance=bare)
    bare.save_revision().publish()
    villager = get_user_model().objects.get(username="villager")

    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(villager)
    cases = [
        ("bare Wagtail page (baseline)", anonymous, bare.url),
        ("village home, anonymous", anonymous, home.url),
        ("village home, villager", signed_in, home.url),
        ("notice index, anonymous", anonymous, home.url + "notices/"),
        ("notice index, villager", signed_in, home.url + "notices/"),
        ("rules page", anonymous, home.url + "rules/"),
        ("moral-model index", anonymous, home.url + "models/"),
    ]
    results = {}
    for label, client, url in cases:
        for _i in range(5):  # warm up
            assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times = []
        for _i in range(args.runs):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        results[label] = (statistics.median(times), len(queries))
    base = results["bare Wagtail page (baseline)"][0]
    print(f"{'page':36} {'median ms':>10} {'ratio':>7} {'queries':>8}")
    for label, (median, queries) in results.items():
        print(f"{label:36} {median * 1000:10.2f} {median / base:6.2f}× {queries:8d}")
    if scratch:
        os.unlink(scratch)


if __name__ == "__main__":
    main()
