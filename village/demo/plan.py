"""What the demo township is made of: seeds, the shared password, the two villages' plans and
their staffing, and the helpers that make invented but well-formed register data."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from unittest import mock

from django.contrib.auth import base_user
from django.contrib.auth.hashers import make_password

SEED = 20180301
PASSWORD = "demo12345"
# The register's census day: births count back from it, so the same people, of the same ages
# then, are generated on whatever day the demo is loaded (the other apps date from that day).
TODAY = date(2026, 11, 27)
TERM_START = date(2021, 3, 1)  # the two committees elected in the 2021 round
# Open-ended: with a fixed end the demo village would lose all its representatives on that day,
# however recently it was loaded. A cadre records the end when the next term is elected.
REP_TERM = (date(2021, 3, 1), None)
REGION = "370124"  # 平阴县's administrative division code
CHINESE_NUMBERS = "一二三四五六七八九十"
STREETS = ["东街", "西街", "南街", "北街", "前街", "后街", "中心街", "河沿", "山前", "新村路"]


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (grid and area names)."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMBERS[n - 11]
    return CHINESE_NUMBERS[n // 10 - 1] + "十" + (CHINESE_NUMBERS[n % 10 - 1] if n % 10 else "")


def id_number(birth: date, sequence: int, male: bool) -> str:
    """A well-formed (checksummed) but invented ID number."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    body = f"{REGION}{birth:%Y%m%d}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


@dataclass(frozen=True)
class Staffing:
    """How many hold which office: `cadres` in all, of them `branch` on the branch committee
    (the secretary first) and `cross` on both committees; the rest of the cadres sit on the
    village committee only."""

    cadres: int
    branch: int
    cross: int
    supervision: int
    representatives: int
    party_full: int
    party_probationary: int


@dataclass(frozen=True)
class VillagePlan:
    name: str
    code: str
    large_grids: int
    areas: int
    households: int
    prefix: str
    staffing: Staffing


MAIN = VillagePlan(
    "东毛铺村",
    "dongmaopu",
    2,
    18,
    320,
    "DMP",
    Staffing(
        cadres=10,
        branch=7,
        cross=3,
        supervision=3,
        representatives=30,
        party_full=39,
        party_probationary=6,
    ),
)
SECOND = VillagePlan(
    "西河村",
    "xihe",
    1,
    3,
    45,
    "XH",
    Staffing(
        cadres=5,
        branch=3,
        cross=2,
        supervision=3,
        representatives=8,
        party_full=9,
        party_probationary=1,
    ),
)

# The cadres' demo accounts of DESIGN.md: (username, village, office, phone).
CADRE_ACCOUNTS = [
    ("secretary", MAIN, "secretary", "13900000001"),
    ("committee", MAIN, "committee", "13900000002"),
    ("gridofficer", MAIN, "三片区", "13900000003"),
    ("supervisor", MAIN, "supervisor", "13900000004"),
    ("xihe_secretary", SECOND, "secretary", "13900000011"),
]
PHONE_VILLAGERS = 20  # adult villagers of 东毛铺村 with a phone and a login, 13800000001 on


@contextmanager
def one_password_hash():
    """Every demo account has the same published password: hash it once, not once per account
    (a hash costs about 0.2 s, and the demo has hundreds of accounts). Demo data only."""
    hashed = make_password(PASSWORD)
    real = base_user.make_password

    def cached(password, *args, **kwargs):
        if password == PASSWORD and not args and not kwargs:
            return hashed
        return real(password, *args, **kwargs)

    with mock.patch.object(base_user, "make_password", cached):
        yield
