"""Permission actions are named by their enums, never by a bare string, in the four apps' code
and templates, outside the modules that declare them (issue 15, "Structure"). The checkers are
functions over source text, also run on planted bare actions (the ``test_checker_*`` test), so
a checker that finds nothing is known to be able to."""

import ast
import re
import textwrap
from enum import StrEnum

from tests.support.structure import (
    APPS,
    ROOT,
    app_files,
    source_of,
)

# Where actions are declared (the enums) and the permission table itself.
PERMISSION_MODULES = tuple(f"{app}/permissions.py" for app in APPS)


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
