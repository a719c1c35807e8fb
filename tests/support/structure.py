"""The four apps' Python files as the structure checks of tests/structure/ read them (issue 15,
"Structure"): where they are, their module names, their source, and the package a relative
import starts from."""

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("village", "deliberation", "points", "pages", "grid")


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


def package_of(module: str, is_package: bool) -> list[str]:
    return module.split(".") if is_package else module.split(".")[:-1]
