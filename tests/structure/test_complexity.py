"""No function above radon's rank C (complexity over 20) in the four apps (issue 15,
"Structure"), outside ``points/allocation.py``. The checker is a function over source text,
also run on a planted complex function (the ``test_checker_*`` test), so a checker that finds
nothing is known to be able to."""

import textwrap

from tests.support.structure import (
    app_files,
    source_of,
)

MAX_RANK = "C"  # radon: A–C is complexity up to 20
COMPLEXITY_EXEMPTIONS = {
    "points/allocation.py": "the allocation by points is one algorithm, kept in one piece",
}


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
