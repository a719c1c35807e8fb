"""Every app module imports on its own in a fresh interpreter, after ``django.setup()`` (issue 15,
"Structure"). The checker is also run on a module that does not exist (the ``test_checker_*``
test), so a checker that finds nothing is known to be able to."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.support.structure import (
    ROOT,
    app_modules,
)

SETTINGS_MODULE = "village.settings.test"


# --- every module imports on its own -------------------------------------------------------

# One process per module: it runs `django.setup()` and then imports the module, nothing else.
IMPORT_ALONE = "import django, importlib, sys; django.setup(); importlib.import_module(sys.argv[1])"

# The same for many modules at a lower cost: a fresh interpreter runs `django.setup()` once,
# then forks one child per module, which imports that module alone and exits. Each child starts
# from exactly the state `IMPORT_ALONE` reaches before its import (a fresh interpreter after
# `django.setup()`), without paying two seconds of setup per module. A failure is confirmed with
# `IMPORT_ALONE` itself, so the message is the one a person running it would see.
IMPORT_EACH_IN_A_FORK = """
import importlib, json, os, sys, traceback
import django
django.setup()
modules, workers, failed, running = sys.argv[1:], int(os.environ["IMPORT_WORKERS"]), [], {}
def reap():
    pid, status = os.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        failed.append(running[pid])
    del running[pid]
for module in modules:
    if len(running) >= workers:
        reap()
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(module)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    running[pid] = module
while running:
    reap()
print(json.dumps(failed))
"""


def importable_modules() -> list[str]:
    return [
        module
        for module, path in app_modules().items()
        if "settings" not in path.parts[:-1]  # settings modules are read by django.setup()
    ]


def _environment(**extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def import_alone(module: str) -> str | None:
    """None when `module` imports in a fresh interpreter, else the end of the error."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, module],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode == 0:
        return None
    return "\n".join(result.stderr.strip().splitlines()[-4:])


def modules_not_importing_alone(modules: list[str]) -> dict[str, str]:
    """{module: error} for the modules that do not import alone after `django.setup()`."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_IN_A_FORK, *modules],
        cwd=ROOT,
        env=_environment(IMPORT_WORKERS=str(max(2, min(4, os.cpu_count() or 2)))),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    suspects = json.loads(result.stdout.strip().splitlines()[-1])
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = dict(zip(suspects, pool.map(import_alone, suspects), strict=True))
    return {module: error for module, error in errors.items() if error}


def test_every_app_module_imports_on_its_own_in_a_fresh_interpreter():
    modules = importable_modules()
    assert len(modules) > 50  # the discovery found the apps
    failed = modules_not_importing_alone(modules)
    assert not failed, "modules that do not import alone:\n" + "\n\n".join(
        f"{module}:\n{error}" for module, error in failed.items()
    )


def test_checker_sees_a_module_that_does_not_import_alone():
    assert import_alone("village.no_such_module_here") is not None
    assert import_alone("village.money") is None
    failed = modules_not_importing_alone(["village.money", "village.no_such_module_here"])
    assert list(failed) == ["village.no_such_module_here"]
    assert "ModuleNotFoundError" in failed["village.no_such_module_here"]
