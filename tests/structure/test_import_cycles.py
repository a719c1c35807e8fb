"""No import cycle among the modules of the four apps (issue 15, "Structure"), at module level,
nor counting the imports hidden inside functions; checked without a database. The checker is a
function over source text, also run on small planted cycles (the ``test_checker_*`` tests), so a
checker that finds nothing is known to be able to."""

import ast
import textwrap

from tests.support.structure import (
    app_modules,
    package_of,
    source_of,
)


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
                package = package_of(module, is_package)
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
