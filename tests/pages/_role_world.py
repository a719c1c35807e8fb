"""Moved to tests/support/role_world.py: this name stays only until the rename script has
rewritten the imports of tests/pages/test_admin_home.py and tests/pages/test_todo.py."""

from tests.support.role_world import build_role_world as role_world  # noqa: F401
