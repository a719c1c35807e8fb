"""One ``villager_of`` (issue 15, "Structure"): the question "which villager is this user" is
answered in ``village/permissions.py`` only. The checker is a function over source text, also
run on planted lookups (the ``test_checker_*`` test), so a checker that finds nothing is known
to be able to."""

import ast
import textwrap

from tests.support.structure import (
    app_files,
    source_of,
)

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
