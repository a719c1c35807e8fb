"""Cold start: `manage.py migrate` and `manage.py load_demo` on a fresh SQLite database, the CPU
and wall time of each, against the floor every manage.py command pays — in one run.

Usage:  .venv/bin/python bench/cold_start.py [--rounds 3]

Each round, alternating:

- baseline: `python -c "import django; django.setup()"` with the project's settings (dev, as
  `make run` uses) — importing Django, Wagtail and the apps and setting them up, which each of
  the two commands pays once before doing any work. It is the floor no change to migrations or
  the demo can go under, so the ratio says how much of the cold start is real work. (Migrating
  Django's contrib apps alone was not chosen: it measures a different, smaller schema and says
  nothing of what this project can cut.)
- goal: `manage.py migrate --noinput` then `manage.py load_demo` on a new scratch SQLite file
  and an empty cache folder, as on a fresh machine.

CPU is the children's user + system time (`resource.getrusage(RUSAGE_CHILDREN)` taken around
each child); wall is the child's elapsed time. Medians over the rounds are printed.
"""

import argparse
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
GOAL = "goal: migrate + load_demo on SQLite within 30 s of CPU"
GOAL_CPU = 30.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return children_cpu() - cpu, time.perf_counter() - started


def fresh_env(scratch: Path, round_: int) -> dict:
    folder = scratch / f"round-{round_}"
    folder.mkdir()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "village.settings.dev",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CUNZHI_CACHE_DIR": str(folder / "cache"),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    manage = str(ROOT / "manage.py")
    setup = [python, "-c", "import django; django.setup()"]
    scratch = Path(tempfile.mkdtemp(prefix="cz-bench-cold-"))
    figures: dict[str, list[tuple[float, float]]] = {"setup": [], "migrate": [], "load_demo": []}
    print(GOAL)
    try:
        for round_ in range(1, args.rounds + 1):
            env = fresh_env(scratch, round_)
            figures["setup"].append(run(setup, env))
            figures["migrate"].append(run([python, manage, "migrate", "--noinput"], env))
            figures["load_demo"].append(run([python, manage, "load_demo"], env))
            total = figures["migrate"][-1][0] + figures["load_demo"][-1][0]
            print(
                f"round {round_}: setup {figures['setup'][-1][0]:.1f} s CPU;"
                f" migrate {figures['migrate'][-1][0]:.1f} s, load_demo"
                f" {figures['load_demo'][-1][0]:.1f} s CPU: {total:.1f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(name: str, which: int) -> float:
        return statistics.median(f[which] for f in figures[name])

    print(f"\nmedians over {args.rounds} rounds   {'CPU s':>7} {'wall s':>7}")
    for name, label in (
        ("setup", "baseline: django.setup()"),
        ("migrate", "manage.py migrate"),
        ("load_demo", "manage.py load_demo"),
    ):
        print(f"{label:32} {median(name, 0):7.1f} {median(name, 1):7.1f}")
    totals = [m[0] + d[0] for m, d in zip(figures["migrate"], figures["load_demo"], strict=True)]
    walls = [m[1] + d[1] for m, d in zip(figures["migrate"], figures["load_demo"], strict=True)]
    total, floor = statistics.median(totals), 2 * median("setup", 0)
    print(f"{'migrate + load_demo':32} {total:7.1f} {statistics.median(walls):7.1f}")
    print(
        f"ratio to the floor of two commands' setup ({floor:.1f} s CPU): {total / floor:.1f}×;"
        f" {'met' if total <= GOAL_CPU else 'not met'}: {total:.1f} s CPU against {GOAL_CPU:.0f} s"
    )
    print(GOAL)


if __name__ == "__main__":
    main()
