"""The year's events of the points story, as data: the entries it records on given days and
what then happens to them (objections and answers, reversals), the demo villager's household,
the counter, and the welfare of January. `PointsDemo.schedule` plays the rows in this order (the
order matters: it draws from the story's random generator as it goes).

Days are `(year, month, day)` and moments `(year, month, day, hour[, minute])`, where year 0 is
last year and 1 this year (the story's 2025 and 2026). An hour of `ANY_HOUR` is drawn between 9
and 16 o'clock. Actors: a demo login ("secretary", "committee", "gridofficer", "villager") or a
phone villager by the number after 138 (2 is 13800000002); `None` is the usual recorder."""

from dataclasses import dataclass

from .data import INSPECTION

HOME = "home"  # the household of the demo user `villager` (phone 13800000001)
ANY_HOUR = None
COURTYARD = "庭院种花种菜、整洁美观，被评为{y}年度“美丽庭院”"


@dataclass(frozen=True)
class Record:
    """An entry the story records (or, with `claim`, a villager claims). `tag` names it for a
    later step; `reject` is the reviewer's note when the review rejects it."""

    household: str
    code: str
    occurred_on: tuple
    reason: str
    at: tuple | None = None  # None: a random time on the day it occurred
    by: str | int | None = None
    claim: bool = False
    tag: str | None = None
    reject: str | None = None


@dataclass(frozen=True)
class Step:
    """A step at a moment: `action` names the `PointsDemo` method, called with `args`."""

    at: tuple
    action: str
    args: tuple = ()


STORY = [
    # The demo villager's household: additions, a deduction, claims, the store, an objection of
    # theirs (below), and an entry in the list open for objections now (`schedule_now`).
    Record(HOME, "YF06", (0, 1, 30), "春节期间在院内燃放鞭炮，经网格员劝阻后停止"),
    Record(HOME, "HJ01", (0, 2, 25), INSPECTION["HJ01"]),
    Record(
        HOME,
        "ZY01",
        (0, 4, 12),
        "参加4月12日春季植树义务劳动",
        claim=True,
        at=(0, 4, 13, 19, 40),
    ),
    Record(HOME, "HJ02", (0, 8, 26), INSPECTION["HJ02"]),
    Record(HOME, "XL01", (0, 12, 18), "被评为{y}年度村“好媳妇”"),
    Step((0, 12, 20, 9, 10), "redeem", (HOME, "食用油（5升）")),
    Record(HOME, "HJ01", (1, 3, 25), INSPECTION["HJ01"]),
    Record(
        HOME,
        "YF05",
        (1, 4, 5),
        "清明节鲜花祭扫，不上山烧纸",
        claim=True,
        at=(1, 4, 5, 20, 5),
    ),
    Step((1, 6, 20, 9, 30), "redeem", (HOME, "洗衣粉（2公斤）")),
    Record(HOME, "ZY02", (1, 7, 21), "参加7月防汛巡堤值守"),
    Record(HOME, "HJ01", (1, 11, 20), INSPECTION["HJ01"], at=(1, 11, 20, 15)),
    Record(
        HOME,
        "ZY03",
        (1, 11, 25),
        "参加11月“四点半课堂”志愿辅导",
        claim=True,
        at=(1, 11, 26, 20, 15),
    ),
    # A duplicate: the same tree-planting day recorded twice, corrected by a reversal.
    Record(
        "DMP-080",
        "ZY01",
        (0, 4, 12),
        "参加4月12日春季植树义务劳动",
        at=(0, 4, 12, 16),
        by="committee",
    ),
    Record(
        "DMP-080",
        "ZY01",
        (0, 4, 12),
        "参加4月12日春季植树义务劳动",
        at=(0, 4, 14, 10),
        by="secretary",
        tag="duplicate",
    ),
    Step(
        (0, 5, 14, 10),
        "reverse",
        ("duplicate", "与同户4月12日植树义务劳动重复登记，另一笔已入账"),
    ),
    # Objections: upheld (the entry is voided) and rejected (it is posted).
    Record(
        "DMP-021",
        "HJ01",
        (0, 3, 26),
        INSPECTION["HJ01"],
        at=(0, 3, 26, 15),
        by="committee",
        tag="wood",
    ),
    Step(
        (0, 4, 5, 20),
        "object",
        ("wood", 2, "这家门前的柴草垛一直占着半边路，评“门前三包落实到位”不合适。"),
    ),
    Step(
        (0, 4, 7, 16),
        "answer",
        (
            "wood",
            True,
            "经积分评定小组现场复核，该户门前柴草确实占道，本条加分不予认定，已请网格员督促整改。",
        ),
    ),
    Record(
        "DMP-090",
        "PA05",
        (0, 6, 12),
        "在自家地头焚烧麦秸",
        at=(0, 6, 12, 11),
        by="committee",
        tag="straw",
    ),
    Step(
        (0, 7, 4, 19),
        "object",
        ("straw", 6, "当天是邻居家在地头烧麦秸，我家的麦地挨着，不是我家烧的，请核实。"),
    ),
    Step(
        (0, 7, 7, 10),
        "answer",
        (
            "straw",
            False,
            "经查看网格员现场照片并走访周边农户，确认是该户人员在自家地头焚烧麦秸，"
            "扣分无误，异议不成立。",
        ),
    ),
    Record(
        "DMP-055",
        "ZY01",
        (0, 7, 19),
        "参加7月防汛沙袋装运义务劳动",
        claim=True,
        by=4,
        at=(0, 7, 19, 21),
        reject="经核对义务劳动签到表，当天该户无人参加，不予认定。",
    ),
    Record(
        "DMP-005",
        "YF01",
        (0, 9, 20),
        "操办女儿婚事，提前向红白理事会报备",
        at=(0, 9, 20, 17),
        by="committee",
        tag="wedding",
    ),
    Step(
        (0, 10, 5, 12),
        "object",
        ("wedding", "villager", "这家办喜事摆了三十多桌，还放了鞭炮，不能算简办。"),
    ),
    Step(
        (0, 10, 7, 16),
        "answer",
        (
            "wedding",
            True,
            "经红白理事会核实，该户婚宴共三十二桌，超过村规民约第十二条的规定，"
            "本条加分作废；燃放鞭炮一事另行登记。",
        ),
    ),
    Record(
        "DMP-005",
        "YF06",
        (0, 9, 20),
        "9月20日操办婚事时燃放鞭炮（红白理事会核实）",
        at=(0, 10, 10, 15),
        by="committee",
    ),
    Record(
        "DMP-041",
        "GY03",
        (0, 9, 15),
        "儿子应征入伍，已领取入伍通知书",
        at=(0, 9, 15, 10),
        by="gridofficer",
        tag="army",
    ),
    Step((0, 10, 20, 9), "reverse", ("army", "新兵入营复检未通过，未能入伍，按细则冲正")),
    Record(
        "DMP-250",
        "HJ07",
        (0, 11, 26),
        INSPECTION["HJ07"],
        at=(0, 11, 26, 16),
        by="committee",
        tag="rain",
    ),
    Step(
        (0, 12, 4, 18),
        "object",
        ("rain", 15, "检查那天刚好下雨，门口的玉米秸第二天就清走了。"),
    ),
    Step(
        (0, 12, 6, 10),
        "answer",
        (
            "rain",
            False,
            "网格员11月上旬、中旬两次上门劝导，检查时仍未清理，扣分符合细则，"
            "异议不成立；已经清理的，下月检查可以正常评定。",
        ),
    ),
    # 美丽庭院 last year: the results came out in November.
    *(
        Record(number, "HJ04", (0, 11, 18), COURTYARD, at=(0, 11, 18, ANY_HOUR))
        for number in ("DMP-012", "DMP-046", "DMP-118", "DMP-207", "DMP-263")
    ),
    # Last year's star households, one revoked, and the year-end benefit before the Spring
    # Festival.
    Step((1, 1, 15, 10), "stars_rate"),
    # Each list is decided by the representatives' meeting (组织法 Art. 24) and published
    # when its resolution has settled; the year-end benefit's list then has its own window.
    Step((1, 1, 15, 14), "stars_decide"),
    Step((1, 1, 22, 10), "stars_revoke"),
    Step((1, 1, 28, 10), "allocate"),
    Step((1, 1, 28, 14), "allocation_decide"),
    Record(
        "DMP-126",
        "XL05",
        (1, 2, 16),
        "春节回家看望老人，帮老人修好了漏雨的屋顶",
        claim=True,
        by=8,
        at=(1, 2, 16, 20),
    ),
    # An objection answered after the list was posted: rejected, so the entry posts then.
    Record(
        "DMP-199",
        "HJ02",
        (1, 3, 26),
        INSPECTION["HJ02"],
        at=(1, 3, 26, 15),
        by="committee",
        tag="clean",
    ),
    Step(
        (1, 4, 7, 21),
        "object",
        ("clean", 12, "这家上个月刚因为乱倒垃圾被劝导过，评洁净户不合理。"),
    ),
    Step(
        (1, 4, 10, 10),
        "answer",
        ("clean", False, "经复核，该户3月初劝导后已整改，3月检查结果为洁净户，异议不成立。"),
    ),
    # Rejected at review: the same check counted twice.
    Record("DMP-039", "HJ01", (1, 4, 25), INSPECTION["HJ01"], at=(1, 4, 25, 15), by="gridofficer"),
    Record(
        "DMP-039",
        "HJ02",
        (1, 4, 25),
        INSPECTION["HJ02"],
        at=(1, 4, 25, 15, 5),
        by="gridofficer",
        reject="同一次检查已计“门前三包落实到位”，不再重复计“洁净户”。",
    ),
    Record(
        "DMP-150",
        "ZY01",
        (1, 6, 13),
        "参加6月清理河道义务劳动",
        at=(1, 6, 13, 17),
        by="secretary",
        tag="hired",
    ),
    Step((1, 7, 5, 20), "object", ("hired", 9, "那天他家没人去，是花钱雇外村人干的。")),
    Step(
        (1, 7, 7, 15),
        "answer",
        (
            "hired",
            True,
            "经核实，当天参加劳动的是该户雇请的外村人员，不是家庭成员，本条积分作废。",
        ),
    ),
    # The wrong household recorded: reversed, then recorded for the right one.
    Record(
        "DMP-110",
        "PA05",
        (1, 6, 10),
        "在自家地头焚烧麦秸",
        at=(1, 6, 10, 11),
        by="committee",
        tag="neighbour",
    ),
    Step(
        (1, 7, 15, 9),
        "reverse",
        ("neighbour", "经核实焚烧麦秸的是相邻地块的承包户，登记户别有误"),
    ),
    Record(
        "DMP-112",
        "PA05",
        (1, 6, 10),
        "6月10日在自家地头焚烧麦秸（原误登记在DMP-110户）",
        at=(1, 7, 15, 9, 30),
        by="committee",
    ),
    Record(
        "DMP-160",
        "YF04",
        (1, 9, 6),
        "孩子考上大学不办升学宴",
        at=(1, 9, 6, 16),
        by="committee",
        tag="college",
    ),
    Step((1, 10, 5, 19), "object", ("college", 10, "听说他家在县城饭店请了二十多桌。")),
    Step(
        (1, 10, 7, 10),
        "answer",
        (
            "college",
            False,
            "经红白理事会走访核实，该户只请直系亲属在家吃了便饭，县城饭店的宴请是"
            "其亲戚家另办的喜事，异议不成立。",
        ),
    ),
    # 美丽庭院 this year: the results came out at the end of October, in October's list.
    *(
        Record(number, "HJ04", (1, 10, 28), COURTYARD, at=(1, 10, 30, ANY_HOUR))
        for number in (HOME, "DMP-037", "DMP-230", "DMP-275")
    ),
]
