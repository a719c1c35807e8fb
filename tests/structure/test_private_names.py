"""No private name (``_name``) of an app module is used from another module (issue 15,
"Structure"). The checker is a function over source text, also run on planted private names
(the ``test_checker_*`` test), so a checker that finds nothing is known to be able to."""

import ast
import textwrap
from pathlib import Path

from tests.support.structure import (
    app_files,
    app_modules,
    module_name,
    package_of,
    source_of,
)

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
                package = package_of(module, is_package)
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
