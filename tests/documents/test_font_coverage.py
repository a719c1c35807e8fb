"""The bundled font covers the hanzi of personal names, not only GB 2312: a household head called
王喆堃 must print as 王喆堃, not as blank boxes, on a machine with no CJK font installed."""

import pytest
from fontTools.ttLib import TTFont

from points import documents as print_
from tests.documents.test_points_documents import data_of, flat, text_of
from tests.support.points_world import build_world
from village.documents import FONT

# Common in given names, outside GB 2312 (so missing from a GB 2312 subset).
NAME_HANZI = "喆堃玥珺昇镕赟"


def gb2312_hanzi(level: int) -> str:
    """Every hanzi of GB 2312 level 1 (rows 16–55) or level 2 (rows 56–87)."""
    rows = range(16, 56) if level == 1 else range(56, 88)
    chars = []
    for row in rows:
        for cell in range(1, 95):
            try:
                chars.append(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the unused end of row 55
    return "".join(chars)


@pytest.fixture(scope="module")
def cmap():
    with TTFont(FONT) as font:
        return font.getBestCmap()


def test_gb2312_sample_has_the_expected_size():
    assert len(gb2312_hanzi(1)) == 3755 and len(gb2312_hanzi(2)) == 3008


@pytest.mark.parametrize("char", list(NAME_HANZI))
def test_font_has_common_name_hanzi_outside_gb2312(cmap, char):
    assert ord(char) in cmap, f"{char} U+{ord(char):04X} missing from the bundled font"


def test_font_still_has_every_gb2312_hanzi(cmap):
    missing = [c for c in gb2312_hanzi(1) + gb2312_hanzi(2) if ord(c) not in cmap]
    assert not missing, missing[:20]


def test_font_has_the_cjk_unified_ideographs(cmap):
    basic = sum(1 for cp in range(0x4E00, 0x9FA6) if cp in cmap)
    assert basic == 0x9FA6 - 0x4E00  # all 20,902 of the original CJK Unified Ideographs block


@pytest.fixture
def points_world(db):
    return build_world()


def test_a_head_named_with_rare_hanzi_prints_on_the_card_and_the_passbook(points_world):
    household = points_world.h[1]
    head = household.head
    head.name = "王喆堃"
    head.save(update_fields=["name"])
    card = text_of(data_of(print_.household_card(points_world.keeper, household)))
    assert "王喆堃" in flat(card), card
    passbook = text_of(
        data_of(print_.statement(points_world.resident, household, points_world.day.year))
    )
    assert "王喆堃" in flat(passbook), passbook
