"""Every household's passbook of a year (the background batch): time per page and peak memory
for 320 and 3,200 households, against one passbook printed on its own — in one run.

Usage:  .venv/bin/python bench/passbooks.py [--households 320,3200] [--rounds 1]
                                            [--baseline-prints 20]

Loads the demo into a scratch SQLite database (`migrate` and `load_demo`), then makes a second
copy whose demo village has 3,200 households (the 2,880 added through
`village.services.household_create`; they have no entries this year, so their passbooks are the
short one-page kind). Each measurement runs in a fresh child process on a fresh copy of the
database and a scratch media folder:

- batch N: the batch as the workers run it — `points.tasks.statements_batch_start` queues the
  parts (a queue-only task backend), then the child runs every part in turn, as one `db_worker`
  would (`points.documents.statements_part_run`): each household's passbook rendered, sealed,
  stored and registered on its own. Printed: ms per page, CPU, the resident set before the run
  (warmed up) and the peak during it (Linux VmHWM, reset just before the run; getrusage's
  maxrss of the child is printed as well, although it carries the parent's peak across fork and
  exec), and the growth per 100 pages — flat memory means the growth does not follow N.
- baseline: one passbook's PDF rendered on its own (the cadre's 打印存折 button's rendering,
  `village.documents.render` of points/print/statement.html with the issue's facts),
  `--baseline-prints` times in one child.

Baseline and batches alternate within each round. A county's batch on one worker is
extrapolated from the 3,200 run's seconds per household (150,000 households); parts are
separate tasks, so k workers take about 1/k of it.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = (
    "goal: every household's passbook (batch): flat memory; a county's batch in hours on one "
    "worker, parallel across workers"
)
COUNTY_HOUSEHOLDS = 150_000


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def rss_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def peak_mb() -> float:
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def setup_django(database_url: str, media: str, cache: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["CUNZHI_CACHE_DIR"] = cache
    os.environ["DJANGO_SETTINGS_MODULE"] = "village.settings.dev"
    os.environ["DJANGO_DEBUG"] = "0"  # as a production worker: no query log kept in memory
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    storages = dict(settings.STORAGES)
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media},
    }
    override_settings(
        STORAGES=storages,
        MEDIA_ROOT=media,
        # Queue only: this process runs the parts itself, as a worker would.
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
    ).enable()


# --- children -------------------------------------------------------------------------------------


def child_grow(args):
    """Add households to the demo village until it has `args.households`."""
    setup_django(args.database_url, args.media, args.cache)
    from django.db import transaction

    from village import services
    from village.models import Grid, GridLevel, Household, Village
    from village.permissions import SYSTEM

    village = Village.objects.get(code="dongmaopu")
    areas = list(Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("pk"))
    have = Household.objects.filter(village=village).count()
    with transaction.atomic():
        for n in range(have + 1, args.households + 1):
            services.household_create(
                actor=SYSTEM,
                village=village,
                number=f"DMP-{n:04d}",
                area=areas[n % len(areas)],
                address=f"东毛铺村新村路{n}号",
            )
    print(json.dumps({"households": Household.objects.filter(village=village).count()}))


def _warm_up(village, secretary, year):
    """WeasyPrint, the font, the seal and the templates loaded: one passbook of another year."""
    from points import documents as print_
    from village.models import Household

    household = Household.objects.filter(village=village).order_by("pk").first()
    print_.statement(secretary, household, year - 1)


def child_batch(args):
    setup_django(args.database_url, args.media, args.cache)
    import gc

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django_tasks import task_backends

    from points import documents as print_
    from points import tasks
    from village.models import Document, DocumentBatch, Village

    village = Village.objects.select_related("township").get(code="dongmaopu")
    secretary = get_user_model().objects.get(username="secretary")
    year = timezone.localdate().year
    _warm_up(village, secretary, year)
    gc.collect()
    result = {"before_mb": rss_mb(), "peak_reset": reset_peak()}
    cpu, started = cpu_seconds(), time.perf_counter()
    batch = tasks.statements_batch_start(actor=secretary, village=village, year=year)
    parts = [r.args for r in task_backends["default"].results]
    for batch_id, part, ids in parts:
        print_.statements_part_run(batch_id, part, ids)
    result["seconds"] = time.perf_counter() - started
    result["cpu"] = cpu_seconds() - cpu
    result["peak_mb"] = peak_mb()
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    batch = DocumentBatch.objects.get(pk=batch.pk)
    assert batch.status == "done" and batch.done == batch.total, (batch.status, batch.error)
    issued = Document.objects.filter(pk__in=print_.batch_runner.issued(batch).values())
    result.update(
        households=batch.total,
        parts=len(parts),
        documents=issued.count(),
        pages=sum(issued.values_list("pages", flat=True)),
        bytes=sum(issued.values_list("size", flat=True)),
    )
    print(json.dumps(result))


def child_baseline(args):
    """One passbook rendered on its own, `args.prints` times (what the batch does per household,
    without the register and the storage)."""
    setup_django(args.database_url, args.media, args.cache)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from points import documents as print_
    from village import documents
    from village.documents.seal import seal_for
    from village.models import Household, Village

    village = Village.objects.select_related("township").get(code="dongmaopu")
    secretary = get_user_model().objects.get(username="secretary")
    year = timezone.localdate().year
    _warm_up(village, secretary, year)
    household = Household.objects.filter(village=village).order_by("number").first()
    code = documents.new_code()
    facts = {
        "code": code,
        "url": documents.verify_url(code),
        "title": f"{household.number}户{year}年度积分存折",
        "kind": "points_statement",
        "issued_at": timezone.now(),
        "issuer": "书记",
        "audit_head": "0" * 64,
        "audit_seq": 0,
    }
    context = {
        "s": print_.statement_of(household, year),
        "today": timezone.localdate(),
        "village": village,
        "document": facts,
        "seal": seal_for(village),
        "qr": documents.qr_data_uri(facts["url"]),
    }
    times, pages = [], 0
    cpu = cpu_seconds()
    for _i in range(args.prints):
        started = time.perf_counter()
        rendered = documents.render("points/print/statement.html", context)
        times.append(time.perf_counter() - started)
        pages += rendered.pages
    print(
        json.dumps(
            {
                "median_s": statistics.median(times),
                "cpu_per_page": (cpu_seconds() - cpu) / pages,
                "pages_per_print": pages / args.prints,
            }
        )
    )


# --- the parent -----------------------------------------------------------------------------------


def run_child(kind: str, database: Path, scratch: Path, *extra: str, in_place=False) -> dict:
    """A child on a fresh copy of `database` (or on `database` itself)."""
    media = Path(tempfile.mkdtemp(prefix="media-", dir=scratch))
    copy = database if in_place else media / "db.sqlite3"
    if not in_place:
        shutil.copyfile(database, copy)
    command = [sys.executable, __file__, "--child", kind, "--database-url", f"sqlite:///{copy}"]
    command += ["--media", str(media), "--cache", str(scratch / "cache"), *extra]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    shutil.rmtree(media, ignore_errors=True)
    if child.returncode != 0:
        print(child.stderr[-3000:])
        raise SystemExit(f"the {kind} child failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def prepare(scratch: Path, sizes: list[int]) -> dict[int, Path]:
    """The demo loaded once; one database file per size."""
    base = scratch / "demo.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{base}",
        "CUNZHI_CACHE_DIR": str(scratch / "cache"),
    }
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    files = {}
    for size in sizes:
        files[size] = scratch / f"demo-{size}.sqlite3"
        shutil.copyfile(base, files[size])
        if size > 320:
            run_child("grow", files[size], scratch, "--households", str(size), in_place=True)
    return files


def report_batch(size: int, r: dict, baseline: dict) -> None:
    ms_page = r["seconds"] / r["pages"] * 1000
    grown = r["peak_mb"] - r["before_mb"]
    print(
        f"{size:>6} households: {r['documents']} passbooks, {r['pages']} pages in {r['parts']}"
        f" parts, {r['bytes'] / 1e6:.1f} MB of PDF; {r['seconds']:.1f} s"
        f" ({ms_page:.0f} ms / page, {r['cpu'] / r['pages'] * 1000:.0f} ms CPU / page;"
        f" {ms_page / (baseline['median_s'] / baseline['pages_per_print'] * 1000):.2f}× the"
        f" one-passbook page's time, {r['cpu'] / r['pages'] / baseline['cpu_per_page']:.2f}× its"
        " CPU)"
    )
    print(
        f"        memory: {r['before_mb']:.0f} MB before (warmed up), peak {r['peak_mb']:.0f} MB"
        f" (+{grown:.0f} MB, {grown / r['pages'] * 100:.1f} MB per 100 pages);"
        f" child maxrss {r['maxrss_mb']:.0f} MB"
        + ("" if r["peak_reset"] else "; peak not reset: includes the warm-up")
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", default="320,3200")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline-prints", type=int, default=20)
    parser.add_argument("--child", choices=["grow", "batch", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--media", default="", help=argparse.SUPPRESS)
    parser.add_argument("--cache", default="", help=argparse.SUPPRESS)
    parser.add_argument("--prints", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.households = int(args.households.split(",")[-1])
        return {"grow": child_grow, "batch": child_batch, "baseline": child_baseline}[args.child](
            args
        )

    print(GOAL)
    sizes = [int(n) for n in args.households.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="cz-bench-passbooks-"))
    try:
        print("loading the demo into a scratch database …", flush=True)
        files = prepare(scratch, sizes)
        results: dict[int, list[dict]] = {size: [] for size in sizes}
        baselines = []
        for round_ in range(1, args.rounds + 1):
            for size in sizes:  # baseline and batch alternate
                prints = str(args.baseline_prints)
                baselines.append(
                    run_child("baseline", files[sizes[0]], scratch, "--prints", prints)
                )
                print(
                    f"round {round_}: one passbook alone:"
                    f" {baselines[-1]['median_s'] * 1000:.0f} ms"
                    f" ({baselines[-1]['cpu_per_page'] * 1000:.0f} ms CPU / page)",
                    flush=True,
                )
                results[size].append(run_child("batch", files[size], scratch))
                report_batch(size, results[size][-1], baselines[-1])
        last = results[sizes[-1]]
        for what, key in (("time", "seconds"), ("CPU", "cpu")):
            per_household = statistics.median(r[key] / r["households"] for r in last)
            hours = per_household * COUNTY_HOUSEHOLDS / 3600
            print(
                f"a county ({COUNTY_HOUSEHOLDS:,} households) at {per_household * 1000:.0f} ms"
                f" {what} per household: {hours:.1f} h on one worker, {hours / 2:.1f} h on two,"
                f" {hours / 4:.1f} h on four (parts are separate tasks)"
            )
        if len(sizes) > 1:
            small, large = results[sizes[0]][-1], results[sizes[-1]][-1]
            print(
                f"peak growth {sizes[0]} → {sizes[-1]} households:"
                f" +{small['peak_mb'] - small['before_mb']:.0f} MB →"
                f" +{large['peak_mb'] - large['before_mb']:.0f} MB"
                f" for {large['pages'] / small['pages']:.1f}× the pages"
            )
        print(GOAL)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
