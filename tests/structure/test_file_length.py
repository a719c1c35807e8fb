"""No code file over 600 lines (issue 15, "Structure"): the four apps (migrations aside), the
benchmarks in ``bench/`` and the tests in ``tests/``, except the files listed with their reason
in ``LONG_FILE_EXEMPTIONS`` (demo data). The checker is a function over source text, also run
on a planted long file (the ``test_checker_*`` test), so a checker that finds nothing is known
to be able to."""

from tests.support.structure import (
    ROOT,
    app_files,
    source_of,
)

MAX_LINES = 600
# Files allowed past MAX_LINES, each with its reason.
LONG_FILE_EXEMPTIONS = {
    "pages/demo/content.py": "demo data: the texts of the demo village's pages",
}


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
    for folder in (ROOT / "bench", ROOT / "tests"):
        if folder.is_dir():
            files |= {
                p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
                for p in folder.rglob("*.py")
                if "__pycache__" not in p.parts
            }
    too_long = files_too_long(files)
    assert not too_long, f"files over {MAX_LINES} lines:\n" + "\n".join(too_long)


def test_checker_finds_a_planted_long_file():
    long = "x = 1\n" * (MAX_LINES + 1)
    assert files_too_long({"points/long.py": long, "points/short.py": "x = 1\n"}) == [
        f"points/long.py: {MAX_LINES + 1} lines"
    ]
    assert files_too_long({"pages/demo/content.py": long}) == []
