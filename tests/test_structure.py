"""How the code is laid out (issue 15, "Structure"), checked without a database.

- no import cycle among the modules of the four apps, at module level, nor counting the imports
  hidden inside functions;
- every app module imports on its own in a fresh interpreter (after ``django.setup()``);
- no code file over 600 lines outside migrations and demo data;
- no function above radon's rank C (complexity over 20) outside ``points/allocation.py``;
- permission actions are named by their enums, never by a bare string, outside the modules
  that declare them;
- no private name (``_name``) of an app module used from another module;
- one ``villager_of``: the question "which villager is this user" is answered in
  ``village/permissions.py`` only.

Each checker is a function over source text, and each is also run on a small planted violation
(the ``test_checker_*`` tests), so a checker that finds nothing is known to be able to.
"""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("village", "deliberation", "points", "pages")
SETTINGS_MODULE = "village.settings.test"
MAX_LINES = 600
# Files allowed past MAX_LINES, each with its reason.
LONG_FILE_EXEMPTIONS = {
    "pages/demo/content.py": "demo data: the texts of the demo village's pages",
}
MAX_RANK = "C"  # radon: A–C is complexity up to 20
COMPLEXITY_EXEMPTIONS = {
    "points/allocation.py": "the allocation by points is one algorithm, kept in one piece",
}
# Where actions are declared (the enums) and the permission table itself.
PERMISSION_MODULES = tuple(f"{app}/permissions.py" for app in APPS)
VILLAGER_OF_HOME = "village/permissions.py"
# Local answers to "which villager is this user" that must not come back.
VILLAGER_OF_NAMES = {
    "villager_of",
    "_villager_of",
    "_villager",
    "household_of",
    "_household_of",
    "_household",
}


# --- the modules ---------------------------------------------------------------------------


def _is_app_code(path: Path) -> bool:
    return "migrations" not in path.parts and "__pycache__" not in path.parts


@cache
def app_files() -> tuple[Path, ...]:
    """Every Python file of the four apps, migrations excepted, relative to the repository."""
    files = []
    for app in APPS:
        files += [p.relative_to(ROOT) for p in (ROOT / app).rglob("*.py") if _is_app_code(p)]
    return tuple(sorted(files))


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def app_modules() -> dict[str, Path]:
    return {module_name(p): p for p in app_files()}


@cache
def source_of(path: Path) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


# --- import cycles -------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(statements, *, deep: bool):
    """The import statements run when the module is imported (`deep`: or when any of its
    functions runs). `if TYPE_CHECKING:` blocks never run."""
    for node in statements:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _imports(node.body, deep=deep)
            yield from _imports(node.orelse, deep=deep)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if deep:
                yield from _imports(node.body, deep=deep)
        elif isinstance(node, ast.stmt):
            # Class bodies, try/with/for/while/match run at import time: look inside.
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None) or []
                yield from _imports(children, deep=deep)
        elif isinstance(node, ast.excepthandler | ast.match_case):
            yield from _imports(node.body, deep=deep)


def _package_of(module: str, is_package: bool) -> list[str]:
    return module.split(".") if is_package else module.split(".")[:-1]


def imported_modules(
    module: str, is_package: bool, tree: ast.Module, known, *, deep: bool = False
) -> set[str]:
    """The modules of `known` that `module` imports. `from a import b` counts as importing the
    submodule `a.b` when there is one, else the module `a`; `a.b.c` unknown counts as `a.b`."""

    def nearest(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for node in _imports(tree.body, deep=deep):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = _package_of(module, is_package)
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            targets = []
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in known else base)
        for target in targets:
            resolved = nearest(target)
            if resolved and resolved != module:
                found.add(resolved)
    return found


def import_graph(sources: dict[str, tuple[str, bool]], *, deep: bool) -> dict[str, set[str]]:
    """{module: modules it imports} for `sources` = {module: (source, is_package)}."""
    known = set(sources)
    return {
        module: imported_modules(module, is_package, ast.parse(source), known, deep=deep)
        for module, (source, is_package) in sources.items()
    }


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the first module of `component`: a → b → … → a."""
    start = component[0]
    members = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def cycles(sources: dict[str, tuple[str, bool]], *, deep: bool) -> list[str]:
    graph = import_graph(sources, deep=deep)
    return [" → ".join(a_cycle(graph, c)) for c in strongly_connected(graph)]


def app_sources() -> dict[str, tuple[str, bool]]:
    return {
        module: (source_of(path), path.name == "__init__.py")
        for module, path in app_modules().items()
    }


def test_no_module_level_import_cycle():
    found = cycles(app_sources(), deep=False)
    assert not found, "modules that import each other at module level:\n" + "\n".join(found)


def test_no_module_imports_another_that_imports_it_back_even_from_inside_a_function():
    found = cycles(app_sources(), deep=True)
    assert not found, "modules that import each other (imports in functions count):\n" + (
        "\n".join(found)
    )


def test_checker_finds_a_planted_module_level_cycle():
    sources = {
        "shop": ("", True),
        "shop.a": ("from shop import b\n", False),
        "shop.b": ("from .c import thing\n", False),
        "shop.c": ("import shop.a\n", False),
        "shop.d": ("from . import a\n", False),
    }
    assert cycles(sources, deep=False) == ["shop.a → shop.b → shop.c → shop.a"]


def test_checker_tells_module_level_from_function_level_and_type_checking_imports():
    sources = {
        "shop": ("", True),
        "shop.a": ("from shop import b\n", False),
        "shop.b": (
            textwrap.dedent(
                """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from shop import a
                def later():
                    from shop.a import thing
                """
            ),
            False,
        ),
    }
    assert cycles(sources, deep=False) == []
    assert cycles(sources, deep=True) == ["shop.a → shop.b → shop.a"]


def test_checker_counts_from_package_import_submodule_as_the_submodule():
    # The package's __init__ re-exports from its submodules; a submodule importing a sibling
    # through `from . import sibling` is not a cycle with the package.
    sources = {
        "shop": ("", True),
        "shop.services": ("from .store import redeem\nfrom .ledger import post\n", True),
        "shop.services.store": ("from . import ledger\n", False),
        "shop.services.ledger": ("from shop import models\n", False),
        "shop.models": ("", False),
    }
    assert cycles(sources, deep=True) == []
    sources["shop.services.ledger"] = ("from shop.services import redeem\n", False)
    assert cycles(sources, deep=False) == ["shop.services → shop.services.ledger → shop.services"]


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


# --- file length ---------------------------------------------------------------------------


def files_too_long(files: dict[str, str]) -> list[str]:
    """'path: n lines' for the files of {path: source} over MAX_LINES, exemptions aside."""
    return [
        f"{path}: {len(source.splitlines())} lines"
        for path, source in files.items()
        if path not in LONG_FILE_EXEMPTIONS and len(source.splitlines()) > MAX_LINES
    ]


def test_no_code_file_over_600_lines():
    files = {p.as_posix(): source_of(p) for p in app_files()}
    bench = ROOT / "bench"
    if bench.is_dir():
        files |= {
            p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
            for p in bench.rglob("*.py")
        }
    too_long = files_too_long(files)
    assert not too_long, f"files over {MAX_LINES} lines:\n" + "\n".join(too_long)


def test_checker_finds_a_planted_long_file():
    long = "x = 1\n" * (MAX_LINES + 1)
    assert files_too_long({"points/long.py": long, "points/short.py": "x = 1\n"}) == [
        f"points/long.py: {MAX_LINES + 1} lines"
    ]
    assert files_too_long({"pages/demo/content.py": long}) == []


# --- complexity ----------------------------------------------------------------------------


def too_complex(path: str, source: str) -> list[str]:
    """'path:line name (rank complexity)' for every block of `source` ranked above MAX_RANK."""
    from radon.complexity import cc_rank, cc_visit

    def blocks(found):
        for block in found:
            yield block
            yield from blocks(getattr(block, "closures", []) or [])

    return [
        f"{path}:{block.lineno} {block.name} ({cc_rank(block.complexity)} {block.complexity})"
        for block in blocks(cc_visit(source))
        if cc_rank(block.complexity) > MAX_RANK
    ]


def test_nothing_above_rank_c_outside_the_allocation():
    found = []
    for path in app_files():
        if path.as_posix() not in COMPLEXITY_EXEMPTIONS:
            found += too_complex(path.as_posix(), source_of(path))
    assert not found, "functions above radon rank C (complexity > 20):\n" + "\n".join(found)


def _branches(n: int) -> str:
    return "".join(f"    if x == {i}:\n        return {i}\n" for i in range(n))


def test_checker_finds_a_planted_complex_function_even_nested():
    source = (
        "def simple(x):\n"
        + _branches(19)
        + "def outer():\n    def inner(x):\n"
        + textwrap.indent(_branches(21), "    ")
        + "    return inner\n"
    )
    assert too_complex("points/x.py", source) == ["points/x.py:41 inner (D 22)"]


# --- permission actions --------------------------------------------------------------------


def is_action_enum(value, module: str) -> bool:
    """A StrEnum declared in `module` (Django's TextChoices are StrEnums too: not those)."""
    from django.db.models import Choices

    return (
        isinstance(value, type)
        and issubclass(value, StrEnum)
        and not issubclass(value, Choices)
        and value.__module__ == module
    )


def registered_actions() -> set[str]:
    """Every action string of the permission table once the apps are ready: what the roles
    are granted, what counts as a write, and every member of the apps' action enums."""
    from importlib import import_module

    from village import permissions

    actions = {str(a) for grants in permissions.VILLAGE_GRANTS.values() for a in grants}
    actions |= {str(a) for grants in permissions.TOWNSHIP_GRANTS.values() for a in grants}
    actions |= {str(a) for a in permissions.WRITE_ACTIONS}
    for app in APPS:
        try:
            module = import_module(f"{app}.permissions")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if is_action_enum(value, module.__name__):
                actions |= {str(member) for member in value}
    return actions


def bare_actions(path: str, source: str, actions: set[str]) -> list[str]:
    """'path:line "action"' for every string constant of `source` that is an action."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in actions:
                found.append(f'{path}:{node.lineno} "{node.value}"')
    return found


TEMPLATE_TAG = re.compile(r"{%.*?%}", re.S)
QUOTED = re.compile(r"""["']([^"']+)["']""")


def bare_actions_in_template(path: str, text: str, actions: set[str]) -> list[str]:
    """'path:line "action"' for every quoted action inside a template tag ({% … %})."""
    found = []
    for tag in TEMPLATE_TAG.finditer(text):
        for quoted in QUOTED.finditer(tag.group()):
            if quoted.group(1) in actions:
                line = text.count("\n", 0, tag.start()) + 1
                found.append(f'{path}:{line} "{quoted.group(1)}"')
    return found


def test_no_bare_string_permission_actions_in_the_apps():
    actions = registered_actions()
    assert {"village.view", "admin.access"} <= actions  # the table was read
    found = []
    for path in app_files():
        if path.as_posix() not in PERMISSION_MODULES:
            found += bare_actions(path.as_posix(), source_of(path), actions)
    for app in APPS:
        for template in sorted((ROOT / app).rglob("templates/**/*.html")):
            text = template.read_text(encoding="utf-8")
            found += bare_actions_in_template(template.relative_to(ROOT).as_posix(), text, actions)
    assert not found, "permission actions as bare strings (use the app's enum):\n" + "\n".join(
        found
    )


def test_checker_finds_planted_bare_actions():
    actions = {"matter.view", "points.record"}
    source = textwrap.dedent(
        """
        from deliberation.permissions import DeliberationAction
        permissions.require(user, DeliberationAction.MATTER_VIEW, matter)
        permissions.require(user, "matter.view", matter)
        AUDIT = "points.entry.record"
        """
    )
    assert bare_actions("deliberation/views.py", source, actions) == [
        'deliberation/views.py:4 "matter.view"'
    ]
    template = '<p>\n{% if_can "points.record" village %}<a>记分</a>{% endif_can %}\n"matter.view"'
    assert bare_actions_in_template("points/templates/x.html", template, actions) == [
        'points/templates/x.html:2 "points.record"'
    ]


# --- private names -------------------------------------------------------------------------


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def private_uses(path: str, source: str, known: set[str]) -> list[str]:
    """'path:line module._name' for every private name of another app module (of `known`)
    that `source` imports or reads as an attribute of the module."""
    module = module_name(Path(path))
    is_package = path.endswith("__init__.py")
    tree = ast.parse(source)
    found = []
    bound: dict[str, str] = {}  # local name → the app module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    bound[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(module, is_package)
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            if base not in known:
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    bound[alias.asname or alias.name] = submodule
                elif _is_private(alias.name) and base != module:
                    found.append(f"{path}:{node.lineno} from {base} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            dotted = _dotted(node.value)
            if not dotted:
                continue
            head, _, rest = dotted.partition(".")
            if head not in bound:
                continue
            target = bound[head] + (f".{rest}" if rest else "")
            if target in known and target != module:
                found.append(f"{path}:{node.lineno} {target}.{node.attr}")
    return found


def test_no_private_name_of_an_app_module_is_used_from_another_module():
    known = set(app_modules())
    found = []
    for path in app_files():
        found += private_uses(path.as_posix(), source_of(path), known)
    assert not found, "private names used across modules (make them public):\n" + "\n".join(found)


def test_checker_finds_planted_private_names():
    known = {"points", "points.services", "points.services.store", "village", "village.audit"}
    source = textwrap.dedent(
        """
        from django.utils.translation import gettext as _
        from points.services import _lock_accounts, redeem
        from . import store
        from village import audit as chain
        import village.audit

        def f(obj):
            store._price(obj._meta)
            chain._canonical(obj)
            village.audit._key()
            return redeem, __name__, _(obj)
        """
    )
    assert private_uses("points/services/ledger.py", source, known) == [
        "points/services/ledger.py:3 from points.services import _lock_accounts",
        "points/services/ledger.py:9 points.services.store._price",
        "points/services/ledger.py:10 village.audit._canonical",
        "points/services/ledger.py:11 village.audit._key",
    ]
    # Inside one module its own private names are its business.
    assert private_uses("points/services/store.py", "from . import store\n", known) == []


# --- one villager_of -----------------------------------------------------------------------


def villager_lookups(path: str, source: str) -> list[str]:
    """'path:line …' for every local answer to "which villager is this user": a function named
    like `villager_of`, or a `Villager.objects.filter/get/exclude(user=…)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in VILLAGER_OF_NAMES:
                found.append(f"{path}:{node.lineno} def {node.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            manager = node.func.value
            if (
                node.func.attr in {"filter", "get", "exclude"}
                and isinstance(manager, ast.Attribute)
                and manager.attr == "objects"
                and isinstance(manager.value, ast.Name)
                and manager.value.id == "Villager"
                and any(k.arg in {"user", "user_id"} for k in node.keywords)
            ):
                found.append(f"{path}:{node.lineno} Villager.objects.{node.func.attr}(user=…)")
    return found


def test_one_villager_of():
    found = []
    for path in app_files():
        if path.as_posix() != VILLAGER_OF_HOME:
            found += villager_lookups(path.as_posix(), source_of(path))
    assert not found, (
        "answers to 'which villager is this user' outside village.permissions.villager_of:\n"
        + "\n".join(found)
    )


def test_checker_finds_planted_villager_lookups():
    source = textwrap.dedent(
        """
        def _villager(user):
            return Villager.objects.filter(user=user).first()

        def household_of(user):
            return villager_of(user).household

        class Page:
            def villager(self):
                return Villager.objects.filter(household=self.household)
        """
    )
    assert sorted(villager_lookups("pages/views.py", source)) == [
        "pages/views.py:2 def _villager",
        "pages/views.py:3 Villager.objects.filter(user=…)",
        "pages/views.py:5 def household_of",
    ]
