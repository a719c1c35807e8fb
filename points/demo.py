"""Demo points ledger (积分制) of 东毛铺村: the rules, the 积分超市, and the history from January
of last year to the day the demo is loaded, written through points.services on a simulated clock
so that every entry, review, publication, objection, posting and redemption carries the date it
would have had and is in the village's audit chain.

The story is written for two years, 2025 as last year and 2026 as this year (STORY_YEAR); it is
told for the year of loading and the one before, and stops at the moment of loading: whatever it
planned for later has not happened yet.

Month by month: the grid officer of 三片区 (in their grid) and the cadres (anywhere) record 6–12
entries — the monthly 门前三包 check and the season's matters; villagers claim a few themselves.
On the 2nd of the next month a committee member who did not record an entry reviews it; on the
3rd the secretary publishes the month's list (积分公示) with the village's objection window (5
days); a few villagers object, some upheld (the entry is voided), some rejected; on the 9th the
close job posts the list. The store opens on the 20th. Base points: 2 January of last year, and
10 January of this year after December's list was posted (the village resets balances each
year). In January last year's star households are rated and published, one rating is revoked,
and ¥50,000 is shared by last year's points before the Spring Festival.

Whatever the day of loading (`schedule_now`): late entries of the latest published month were
published two days ago as a supplementary list, open for objections for three more days, with
one objection waiting for an answer; the grid officer's check of yesterday waits for review, and
the current month's entries are recorded, not yet published.

西河村 gets no points records: its pages show the empty state.
"""

import heapq
import io
import random
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from village import audit
from village import services as village_services
from village.models import Household, Membership, Village, Villager, VillageRole, VillagerStatus

from . import services
from .models import (
    Account,
    Catalogue,
    Category,
    Entry,
    EntryKind,
    EntryStatus,
    Objection,
    Publication,
    Redemption,
    Rule,
    StarRating,
    StoreItem,
)

TZ = ZoneInfo("Asia/Shanghai")
SEED = 20250101
# The story is told for 2025 (last year) and 2026 (this year); it moves to the year of loading.
STORY_YEAR = 2026
POOL_FEN = 5_000_000  # ¥50,000
STAR_THRESHOLDS = {"1": 102, "2": 105, "3": 108, "4": 110, "5": 113}
ALLOCATION_FLOOR = 90

CATEGORIES = {
    "HJ": "环境卫生",
    "YF": "移风易俗",
    "XL": "孝老爱亲",
    "ZF": "遵纪守法",
    "ZY": "志愿服务",
    "GY": "公益事业",
    "PA": "平安建设",
}

# (code, text, points, cap per year, photo required, the 村规民约 article it implements).
# The articles are those of 东毛铺村村规民约 (pages/demo_content.py, RULES): chapter 7 (户积分)
# lists the additions and deductions; the other chapters state the duty itself.
RULES = [
    ("HJ01", "门前三包落实到位", 5, 12, False, "第二章第六条"),
    ("HJ02", "月度环境卫生检查被评为“洁净户”", 2, 12, False, "第七章第三十四条"),
    ("HJ03", "垃圾分类投放，废旧电池、过期药品投放到专用回收箱", 1, 12, False, "第二章第五条"),
    ("HJ04", "庭院整洁美观，被评为“美丽庭院”", 10, 1, True, "第二章第六条"),
    ("HJ05", "主动清理房前屋后、沟渠积存的垃圾杂草", 2, 6, False, "第二章第六条"),
    ("HJ06", "乱倒垃圾，经劝导仍不改正", -2, None, True, "第二章第五条"),
    ("HJ07", "门前三包检查不合格，经劝导仍不改正", -2, None, False, "第七章第三十五条"),
    ("HJ08", "柴草、建材占道堆放，经劝导仍不清理", -3, None, True, "第二章第七条"),
    ("HJ09", "建筑垃圾倾倒在村内、河沟或山林", -5, None, True, "第二章第七条"),
    ("HJ10", "家禽家畜散放，毁坏他人庄稼", -3, None, False, "第二章第八条"),
    ("HJ11", "犬只出户不牵绳，经劝导仍不改正", -2, None, False, "第二章第八条"),
    ("HJ12", "生活污水直排街道、河沟", -5, None, True, "第二章第九条"),
    ("HJ13", "故意损坏垃圾桶、路灯、健身器材等公共设施", -5, None, False, "第二章第九条"),
    ("HJ14", "向田间地头丢弃农药包装、废旧地膜", -2, None, False, "第二章第十条"),
    ("YF01", "红白事简办，并按规定向红白理事会报备", 5, 2, False, "第三章第十一条"),
    ("YF02", "婚事新办，不攀比婚车车队，不搞低俗婚闹", 5, 1, False, "第三章第十二条"),
    ("YF03", "零彩礼、低彩礼，签订移风易俗承诺书", 10, 1, False, "第三章第十四条"),
    ("YF04", "满月、升学、乔迁、祝寿等不摆酒席、不收礼金", 3, 2, False, "第三章第十五条"),
    ("YF05", "清明、寒衣节文明祭扫，不在山林田间烧纸", 2, 2, False, "第三章第十六条"),
    ("YF06", "燃放烟花爆竹", -5, None, False, "第三章第十三条"),
    ("YF07", "索要高价彩礼或大操大办，经劝导仍不改正", -10, None, False, "第七章第三十五条"),
    ("YF08", "治丧吹打游街、摆阔斗富", -5, None, False, "第三章第十二条"),
    ("YF09", "在山林、田间烧纸焚香", -5, None, False, "第三章第十六条"),
    ("YF10", "请神汉巫婆，搞算命驱鬼等封建迷信活动", -5, None, False, "第三章第十六条"),
    ("XL01", "被评为村级好媳妇、好婆婆或孝老爱亲模范", 10, 1, False, "第四章第二十一条"),
    ("XL02", "被评为镇级及以上道德模范或文明家庭", 20, 1, True, "第七章第三十四条"),
    ("XL03", "长期悉心照料患病、残疾家庭成员，邻里公认", 5, 1, False, "第四章第十九条"),
    ("XL04", "订立家规家训并张挂上墙", 3, 1, True, "第四章第二十一条"),
    ("XL05", "外出子女定期回家看望老人，老人生活照料到位", 2, 2, False, "第四章第十七条"),
    ("XL06", "不履行赡养义务，经调解仍不改正", -20, None, False, "第七章第三十五条"),
    ("XL07", "让老人居住危房", -10, None, False, "第四章第十七条"),
    ("XL08", "发生家庭暴力，经劝阻仍不改正", -10, None, False, "第四章第十八条"),
    ("XL09", "适龄子女辍学", -10, None, False, "第四章第十九条"),
    ("ZF01", "邻里纠纷通过协商或调解化解，主动让步", 3, 1, False, "第五章第二十二条"),
    ("ZF02", "及时报告违法犯罪线索", 5, 2, False, "第五章第二十四条"),
    ("ZF03", "参与赌博或变相赌博", -10, None, False, "第五章第二十四条"),
    ("ZF04", "违法建设、侵占集体土地", -20, None, True, "第五章第二十三条"),
    ("ZF05", "聚众闹事或以暴力方式解决纠纷", -10, None, False, "第五章第二十二条"),
    ("ZF06", "参与传销、非法集资", -20, None, False, "第五章第二十四条"),
    ("ZF07", "因违法行为受到行政处罚或者刑事处罚", -30, None, False, "第七章第三十五条"),
    ("ZY01", "家庭成员参加村里组织的义务劳动（每人每次）", 2, None, False, "第七章第三十四条"),
    ("ZY02", "参加防汛、抗灾抢险等志愿服务", 5, None, False, "第五章第二十七条"),
    ("ZY03", "参加“四点半课堂”、助老送餐等志愿服务", 2, 12, False, "第五章第二十七条"),
    ("ZY04", "参加森林防火期巡查值守", 3, 6, False, "第五章第二十五条"),
    ("ZY05", "参加红白理事会帮忙服务", 2, 6, False, "第三章第十一条"),
    ("GY01", "为村内道路、路灯等公益工程投工投劳", 3, 4, False, "第七章第三十四条"),
    ("GY02", "捐资捐物支持村公益事业", 5, 2, False, "第七章第三十四条"),
    ("GY03", "家庭成员应征入伍", 10, 1, True, "第七章第三十四条"),
    ("GY04", "积极参加村民会议、村民代表会议", 1, 6, False, "第六章第三十二条"),
    ("GY05", "为村庄发展建言献策被采纳", 5, 2, False, "第六章第三十二条"),
    ("PA01", "及时报告火情、安全隐患，避免损失", 10, None, True, "第七章第三十四条"),
    ("PA02", "见义勇为", 20, None, True, "第七章第三十四条"),
    ("PA03", "家中配备灭火器，参加消防培训", 2, 1, True, "第五章第二十五条"),
    ("PA04", "参加平安巡逻、联防值守", 2, 12, False, "第五章第二十七条"),
    ("PA05", "野外用火或焚烧秸秆、垃圾", -5, None, True, "第七章第三十五条"),
    ("PA06", "电动车在室内、楼道充电，经劝导仍不改正", -3, None, False, "第五章第二十五条"),
    ("PA07", "汛期拒不服从转移安排", -5, None, False, "第五章第二十六条"),
    ("PA08", "放任孩子到水库、河塘私自游泳，经劝导仍不改正", -2, None, False, "第五章第二十六条"),
]

# (name, unit, points, stock): one point is worth one yuan (村规民约第三十七条).
STORE = [
    ("食用油（5升）", "桶", 85, 30),
    ("大米（10斤）", "袋", 35, 60),
    ("面粉（10斤）", "袋", 30, 40),
    ("挂面（2公斤）", "袋", 15, 50),
    ("鸡蛋（30枚）", "盒", 28, 30),
    ("酱油（1.9升）", "瓶", 15, 40),
    ("食醋（1.9升）", "瓶", 12, 40),
    ("洗衣粉（2公斤）", "袋", 20, 50),
    ("洗洁精（1.5公斤）", "瓶", 12, 50),
    ("香皂（3块装）", "盒", 10, 60),
    ("牙膏", "支", 10, 60),
    ("毛巾", "条", 8, 80),
    ("卫生纸（10卷）", "提", 25, 40),
    ("垃圾袋（5卷）", "包", 5, 100),
    ("保温水壶", "个", 45, 15),
]

# The monthly check (村规民约第六条: 网格员每月逐户检查一次).
INSPECTION = {
    "HJ01": "{m}月门前三包检查：房前屋后干净整洁，无占道堆物",
    "HJ02": "{m}月环境卫生检查被评为“洁净户”",
    "HJ07": "{m}月检查门前堆放杂物，网格员两次劝导仍未清理",
}

# What each month brings: (code, reason[, only in this year]).
SEASONS = {
    1: [
        ("YF06", "春节期间在院内燃放鞭炮，经网格员劝阻后停止"),
        ("ZY01", "参加雪后清扫村内主干道义务劳动"),
        ("PA04", "参加春节期间夜间联防值守"),
        ("XL05", "在外务工的儿子春节回家，帮老人修缮了院墙"),
    ],
    2: [
        ("YF06", "元宵节在门前燃放烟花，经劝阻后停止"),
        ("PA04", "参加元宵节期间夜间巡逻"),
        ("YF04", "孙子满月不摆酒席，只请直系亲属在家吃了便饭"),
        ("XL05", "外出子女春节期间回家照料老人，给老人添置了取暖炉"),
    ],
    3: [
        ("ZY01", "参加春季植树义务劳动"),
        ("ZY04", "参加森林防火期进山路口值守"),
        ("HJ05", "主动清理房后沟渠积存的垃圾和杂草"),
        ("HJ14", "将农药包装袋丢弃在地头，劝导后仍未捡拾"),
    ],
    4: [
        ("YF05", "清明节鲜花祭扫，不上山烧纸"),
        ("YF09", "清明节在山林边烧纸，防火巡查发现后扑灭"),
        ("ZY04", "参加清明期间护林防火值守"),
        ("ZY01", "参加春季村容村貌整治义务劳动"),
    ],
    5: [
        ("HJ05", "主动清理门前排水沟淤泥"),
        ("ZY03", "为独居老人送餐"),
        ("HJ10", "羊群散放进入邻户麦田，毁坏麦苗"),
        ("GY01", "为主干道硬化工程投工投劳三天", 2026),
        ("GY01", "为村文化广场修缮投工投劳", 2025),
    ],
    6: [
        ("PA05", "在自家地头焚烧麦秸"),
        ("ZY03", "参加“四点半课堂”志愿辅导"),
        ("HJ03", "垃圾分类投放，厨余垃圾单独装袋"),
        ("PA08", "孩子到村南水库游泳，家长经劝导后仍未看管"),
        ("GY01", "为路灯安装工程投工投劳", 2026),
    ],
    7: [
        ("ZY02", "参加防汛巡堤值守"),
        ("PA07", "汛期拒不服从转移安排，经多次动员才转移"),
        ("HJ12", "厨房污水直排门前街道"),
        ("ZY03", "参加“四点半课堂”暑期志愿辅导"),
    ],
    8: [
        ("ZY02", "暴雨后参加清理河道淤堵"),
        ("ZY03", "参加“四点半课堂”暑期志愿辅导"),
        ("HJ10", "鸡鸭散放进入邻户菜地"),
        ("GY02", "为村老年食堂捐赠米面"),
    ],
    9: [
        ("YF04", "孩子考上大学不办升学宴"),
        ("HJ03", "将废旧电池、过期药品投放到村委会回收箱"),
        ("ZY03", "为独居老人送餐"),
        ("HJ11", "犬只出户未牵绳，吓到放学儿童"),
    ],
    10: [
        ("PA05", "在自家地头焚烧玉米秸秆"),
        ("YF01", "操办儿子婚事，宴席十二桌，提前向红白理事会报备"),
        ("HJ08", "建房砂石占用街道一个多月，劝导后仍未清理"),
        ("ZY01", "参加秋季道路两侧杂草清理义务劳动"),
    ],
    11: [
        ("YF05", "寒衣节在家追思，不到山上烧纸"),
        ("ZY01", "参加冬季沟渠清淤义务劳动"),
        ("PA03", "家中配备灭火器，参加村里组织的消防培训"),
        ("HJ11", "犬只出户未牵绳，经劝导仍不改正"),
    ],
    12: [
        ("XL03", "多年照料瘫痪在床的老人，邻里公认"),
        ("GY02", "为困难户捐赠过冬棉被"),
        ("ZY05", "为本村丧事提供帮忙服务"),
        ("PA06", "电动车停放在楼道内充电，劝导后仍未改正"),
    ],
}
ANY_MONTH = [
    ("YF01", "老人丧事简办，三天内办完，不吹打不游街"),
    ("ZY05", "为本村喜事提供帮忙服务"),
    ("PA04", "参加夜间平安巡逻"),
    ("HJ06", "将生活垃圾倒在村西沟渠边，劝导后仍未清理"),
    ("ZF01", "宅基地界址纠纷经村调委会调解，主动退让"),
    ("HJ03", "垃圾分类投放，可回收物单独存放"),
]

# Redemptions at the counter: which items and how often (small everyday goods mostly).
BASKET = [
    ("洗衣粉（2公斤）", 1, 4),
    ("大米（10斤）", 1, 4),
    ("食用油（5升）", 1, 2),
    ("香皂（3块装）", 2, 3),
    ("毛巾", 2, 3),
    ("卫生纸（10卷）", 1, 3),
    ("垃圾袋（5卷）", 2, 3),
    ("酱油（1.9升）", 1, 2),
    ("洗洁精（1.5公斤）", 1, 2),
    ("鸡蛋（30枚）", 1, 2),
    ("面粉（10斤）", 1, 2),
    ("挂面（2公斤）", 1, 1),
    ("牙膏", 2, 1),
    ("食醋（1.9升）", 1, 1),
    ("保温水壶", 1, 1),
]


def _previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@contextmanager
def clock(at: datetime):
    """Run services as if it were `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def _photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small generated "site photo" (a yard and a house), never a picture of anyone."""
    from PIL import Image, ImageDraw

    sky = (150 + rng.randint(0, 60), 190 + rng.randint(0, 40), 230)
    img = Image.new("RGB", (480, 360), sky)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 230, 480, 360), fill=(120 + rng.randint(0, 40), 110, 80))
    x = rng.randint(40, 260)
    draw.rectangle((x, 140, x + 170, 250), fill=(200, 196, 186))
    draw.polygon([(x - 15, 140), (x + 85, 80), (x + 185, 140)], fill=(150, 60, 50))
    draw.rectangle((x + 70, 190, x + 100, 250), fill=(90, 60, 40))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class PointsDemo:
    def __init__(self, village: Village, stdout=None):
        self.village = village
        self.stdout = stdout
        self.now = timezone.localtime(timezone.now(), TZ)
        self.year = self.now.year
        self.plan_rng = random.Random(SEED)  # what happens, decided before the clock runs
        self.run_rng = random.Random(SEED + 1)  # choices made while it runs (the counter)
        self.queue: list = []
        self.order = 0
        self.keys = 0
        self.used: dict[tuple, int] = defaultdict(int)
        self.tagged: dict[str, Entry] = {}
        self.objections: dict[str, Objection] = {}
        self.rejects: dict[int, str] = {}
        self.publications: dict[str, Publication] = {}
        User = get_user_model()
        self.user = {
            name: User.objects.get(username=name)
            for name in ("secretary", "committee", "gridofficer", "villager")
        }
        self.phone = {i: User.objects.get(username=f"138{i:08d}") for i in range(2, 21)}
        self.households = {
            h.number: h for h in Household.objects.filter(village=village).select_related("area")
        }
        self.own = {
            name: user.villager.household.number
            for name, user in self.user.items()
            if name != "villager"
        }
        officer = Membership.objects.get(
            villager__user=self.user["gridofficer"], role=VillageRole.GRID_OFFICER
        )
        self.officer_area = officer.grid_id
        in_grid = [h for h in self.households.values() if h.area_id == self.officer_area]
        self.in_grid = sorted(in_grid, key=lambda h: h.number)
        # The demo villager's household has its own story (below), nothing random.
        self.home = self.user["villager"].villager.household
        self.elsewhere = sorted(
            (
                h
                for h in self.households.values()
                if h.area_id != self.officer_area and h.pk != self.home.pk
            ),
            key=lambda h: h.number,
        )
        self.keeper = None

    def say(self, message):
        if self.stdout:
            self.stdout.write(message)

    # -- the simulated clock ---------------------------------------------------------------

    def at(self, when: datetime, fn, *args, **kwargs):
        heapq.heappush(self.queue, (when, self.order, fn, args, kwargs))
        self.order += 1

    def run(self):
        """Play the story up to now; what it planned for later has not happened yet."""
        while self.queue:
            when, _order, fn, args, kwargs = heapq.heappop(self.queue)
            if when > self.now:
                break
            with clock(when):
                fn(*args, **kwargs)

    # -- catalogue and store (no services: rows, and one audit event each) --------------------

    def catalogue(self):
        sec = self.user["secretary"]
        categories = {}
        for order, (prefix, name) in enumerate(CATEGORIES.items(), start=1):
            category = Category(village=self.village, name=name, order=order)
            category._history_user = sec
            category.save()
            categories[prefix] = category
        catalogue = Catalogue(
            village=self.village,
            version=1,
            title="东毛铺村积分制管理细则",
            effective_from=date(self.year - 1, 1, 1),
            adopted_by=f"{self.year - 2}年12月28日村民代表会议决议（东毛铺村积分制管理细则）",
        )
        catalogue._history_user = sec
        catalogue.save()
        for code, text, points, cap, photo, article in RULES:
            rule = Rule(
                catalogue=catalogue,
                category=categories[code[:2]],
                code=code,
                text=text,
                points=points,
                cap_per_period=cap,
                evidence_required=photo,
                article=article,
            )
            rule._history_user = sec
            rule.save()
        catalogue.adopted_at = catalogue.created_at  # adopted as it was entered
        catalogue.save()
        audit.record(
            actor=sec,
            action="points.catalogue.create",
            obj=catalogue,
            village=self.village,
            payload={
                "version": catalogue.version,
                "title": catalogue.title,
                "effective_from": catalogue.effective_from,
                "categories": list(CATEGORIES.values()),
                "rules": [code for code, *_rest in RULES],
            },
        )
        self.rules = {r.code: r for r in catalogue.rules.all()}

    def store_keeper(self):
        """An adult villager with no other role and no login becomes the 积分超市 keeper."""
        from village.demo import PASSWORD  # not at import: village.demo loads Faker

        oldest, youngest = date(1966, 1, 1), date(1991, 1, 1)
        villager = (
            Villager.objects.filter(
                village=self.village,
                user__isnull=True,
                memberships__isnull=True,
                status=VillagerStatus.REGISTERED,
                relation_to_head__in=["户主", "配偶"],
                birth_date__gte=oldest,
                birth_date__lte=youngest,
                household__area__name="一片区",
            )
            .exclude(household__members__user__isnull=False)
            .order_by("household__number", "id")
            .first()
        )
        village_services.membership_create(
            actor=None,
            village=self.village,
            villager=villager,
            role=VillageRole.STORE_KEEPER,
            start=date(self.year - 1, 1, 1),
            note="积分超市管理员",
        )
        villager = village_services.villager_update(
            actor=None, villager=villager, phone="13900000005"
        )
        self.keeper = village_services.account_create(
            actor=None, villager=villager, username="storekeeper", password=PASSWORD
        )

    def store(self):
        items = []
        for name, unit, price, stock in STORE:
            item = StoreItem(
                village=self.village, name=name, unit=unit, points_price=price, stock=stock
            )
            item._history_user = self.keeper
            item.save()
            items.append(item)
        audit.record_many(
            actor=self.keeper,
            village=self.village,
            events=[
                audit.Event(
                    "points.store.item",
                    item,
                    {"name": item.name, "points_price": item.points_price, "stock": item.stock},
                )
                for item in items
            ],
        )
        self.items = {item.name: item for item in items}

    # -- recording -------------------------------------------------------------------------

    def recorder_for(self, household: Household):
        """The grid officer records in their own area; elsewhere the cadres do (never for
        their own household)."""
        if household.area_id == self.officer_area and household.number != self.own["gridofficer"]:
            return self.user["gridofficer"]
        if household.number == self.own["committee"]:
            return self.user["secretary"]
        if household.number == self.own["secretary"]:
            return self.user["committee"]
        return self.user["committee" if self.plan_rng.random() < 0.7 else "secretary"]

    def plan(
        self,
        number,
        code,
        occurred_on: date,
        reason="",
        *,
        at=None,
        by=None,
        claim=False,
        tag=None,
        reject=None,
    ) -> bool:
        """Schedule one recording (or a villager's claim); False when the rule's yearly cap for
        the household is already used."""
        household = self.households[number]
        rule_cap = next(r[3] for r in RULES if r[0] == code)
        key = (household.pk, code, occurred_on.year)
        if rule_cap and self.used[key] >= rule_cap:
            return False
        self.used[key] += 1
        if by is None:
            by = self.user["villager"] if claim else self.recorder_for(household)
        when = at or _at(occurred_on, self.plan_rng.randint(9, 16), self.plan_rng.randint(0, 59))
        reason = reason.format(m=occurred_on.month, y=occurred_on.year)
        self.at(when, self.record, household, code, occurred_on, reason, by, claim, tag, reject)
        return True

    def record(self, household, code, occurred_on, reason, by, claim, tag, reject):
        rule = self.rules[code]
        self.keys += 1
        key = f"demo-{self.village.code}-{self.keys:04d}"
        photo = None
        if rule.evidence_required:
            photo = _photo(self.run_rng, f"{code.lower()}-{self.keys:04d}.jpg")
        if claim:
            entry = services.entry_claim(
                actor=by, rule=rule, occurred_on=occurred_on, reason=reason, photo=photo, key=key
            )
        else:
            entry = services.entry_record(
                actor=by,
                household=household,
                rule=rule,
                occurred_on=occurred_on,
                reason=reason,
                photo=photo,
                idempotency_key=key,
            )
        if tag:
            self.tagged[tag] = entry
        if reject:
            self.rejects[entry.pk] = reject

    def pick(self, *, in_grid: bool) -> str:
        pool = self.in_grid if in_grid else self.elsewhere
        return self.plan_rng.choice(pool).number

    def plan_month(self, month: date):
        """The background of a month: the 门前三包 check at the month's end and the season."""
        rng = self.plan_rng
        last = 28
        checks_from, checks_to = 24, 27
        checks = ["HJ01"] * rng.randint(2, 4) + ["HJ02"] * rng.randint(1, 2)
        if rng.random() < 0.4:
            checks.append("HJ07")
        for code in checks:
            day = month.replace(day=rng.randint(checks_from, checks_to))
            self.plan(self.pick(in_grid=rng.random() < 0.3), code, day, INSPECTION[code])
        season = [
            s
            for s in SEASONS[month.month]
            if len(s) == 2 or s[2] + self.year - STORY_YEAR == month.year
        ]
        extra = [rng.choice(season) for _i in range(rng.randint(2, 4))]
        extra += [rng.choice(ANY_MONTH) for _i in range(rng.randint(0, 2))]
        for code, reason, *_year in extra:
            day = month.replace(day=rng.randint(1, last))
            self.plan(self.pick(in_grid=rng.random() < 0.3), code, day, reason)

    # -- review, publication, objections ----------------------------------------------------

    def review(self, before: date | None = None):
        """A committee member who did not record an entry reviews it (the secretary reviews
        what the committee member recorded)."""
        pending = Entry.objects.filter(
            village=self.village, status__in=[EntryStatus.RECORDED, EntryStatus.CLAIMED]
        ).order_by("pk")
        if before is not None:
            pending = pending.filter(occurred_on__lt=before)
        committee, secretary = self.user["committee"], self.user["secretary"]
        groups: dict = defaultdict(list)
        for entry in pending:
            reviewer = secretary if entry.recorded_by_id == committee.pk else committee
            note = self.rejects.get(entry.pk)
            if note:
                services.entries_review(actor=reviewer, entries=[entry], approve=False, note=note)
            else:
                groups[reviewer].append(entry)
        for reviewer, entries in groups.items():
            services.entries_review(actor=reviewer, entries=entries, approve=True)

    def publish(self, month: date, name: str, if_any: bool = False):
        try:
            self.publications[name] = services.publication_create(
                actor=self.user["secretary"], village=self.village, month=month
            )
        except ValidationError as exc:
            # A supplementary list whose entries the month's own list already took.
            if not (if_any and exc.code == "empty"):
                raise

    def close(self, name: str):
        # As the `close_point_publications` cron job does it: no actor.
        services.publication_close(actor=None, publication=self.publications[name])

    def object(self, tag: str, user, text: str):
        if tag not in self.tagged:  # not recorded: the rule's yearly cap was used
            return
        self.objections[tag] = services.objection_file(
            actor=user, entry=self.tagged[tag], text=text
        )

    def answer(self, tag: str, upheld: bool, text: str):
        services.objection_answer(
            actor=self.user["committee"], objection=self.objections[tag], upheld=upheld, answer=text
        )

    def reverse(self, tag: str, reason: str):
        services.entry_reverse(actor=self.user["secretary"], entry=self.tagged[tag], reason=reason)

    # -- the store counter -------------------------------------------------------------------

    def redeem(self, number: str, item: str, quantity: int = 1):
        self.keys += 1
        services.redeem(
            actor=self.keeper,
            household=self.households[number],
            item=self.items[item],
            quantity=quantity,
            idempotency_key=f"demo-{self.village.code}-r{self.keys:04d}",
        )

    def store_day(self, visitors: int):
        """Households that come to the counter spend what they have on everyday goods."""
        rng = self.run_rng
        names = [name for name, _q, _w in BASKET]
        weights = [w for _n, _q, w in BASKET]
        served = set()
        for _i in range(visitors):
            name = rng.choices(names, weights)[0]
            quantity = next(q for n, q, _w in BASKET if n == name)
            item = self.items[name]
            item.refresh_from_db(fields=["stock"])
            cost = item.points_price * quantity
            if item.stock < quantity:
                continue
            candidates = list(
                Account.objects.filter(
                    village=self.village, villager__isnull=True, balance__gte=cost
                )
                .exclude(household_id__in=served)
                .exclude(household=self.home)
                .order_by("pk")
                .values_list("household__number", "household_id")
            )
            if not candidates:
                continue
            number, household_id = rng.choice(candidates)
            served.add(household_id)
            self.redeem(number, name, quantity)

    # -- welfare -------------------------------------------------------------------------------

    def year_open(self, year: int):
        services.year_open(actor=self.user["secretary"], village=self.village, year=year)

    def stars_rate(self):
        self.star_round = services.star_round_rate(
            actor=self.user["secretary"],
            village=self.village,
            year=self.year - 1,
            thresholds=STAR_THRESHOLDS,
        )
        # A household rated three stars or more whose member was then punished for gambling:
        # the rating is revoked (村规民约第三十九条) and it drops out of the year-end benefit.
        users = Villager.objects.filter(village=self.village, user__isnull=False)
        rating = (
            StarRating.objects.filter(round=self.star_round, stars__gte=3)
            .exclude(household_id__in=users.values("household_id"))
            .order_by("-score", "household__number")
            .first()
        )
        self.revoked = rating
        if rating is None:
            return
        day = date(self.year, 1, 18)
        self.plan(
            rating.household.number,
            "ZF07",
            day,
            "户内成员参与赌博，被县公安局处以行政拘留十日",
            at=_at(day, 15, 20),
            by=self.user["committee"],
        )

    def stars_publish(self):
        services.star_round_publish(actor=self.user["secretary"], star_round=self.star_round)

    def stars_revoke(self):
        if self.revoked is None:
            return
        services.star_rating_revoke(
            actor=self.user["secretary"],
            rating=self.revoked,
            reason=(
                f"户内成员{self.year}年1月参与赌博受到行政处罚，"
                "依据村规民约第三十九条取消其星级和当年评先树优资格"
            ),
        )

    def allocate(self):
        allocation = services.allocation_create(
            actor=self.user["secretary"],
            village=self.village,
            year=self.year - 1,
            title=f"{self.year - 1}年度户积分奖励金（春节福利）",
            pool_fen=POOL_FEN,
            floor=ALLOCATION_FLOOR,
            ineligible=services.revoked_star_households(self.village, self.year - 1),
        )
        self.allocation = allocation

    def allocation_publish(self):
        services.allocation_publish(actor=self.user["secretary"], allocation=self.allocation)

    # -- the story -------------------------------------------------------------------------------

    def schedule(self):
        sec, committee, officer = (self.user[n] for n in ("secretary", "committee", "gridofficer"))
        villager = self.user["villager"]
        y0, y1 = self.year - 1, self.year  # the story's 2025 and 2026
        home = villager.villager.household.number
        phone = self.phone

        def p(*args, **kwargs):
            # The story's own entries must all be recorded: fail loudly on a cap.
            if not self.plan(*args, **kwargs):
                raise RuntimeError(f"points demo: yearly cap reached for {args[:3]}")

        self.at(_at(date(y0, 1, 2), 9), self.year_open, y0)
        self.at(_at(date(y1, 1, 10), 9), self.year_open, y1)
        this_month = services.month_start(self.now.date())
        month = date(self.year - 1, 1, 1)
        while month <= this_month:
            self.plan_month(month)
            if month < this_month:
                after = services.next_month(month)
                name = f"{month:%Y-%m}"
                self.at(_at(after.replace(day=2), 9, 30), self.review, after)
                self.at(_at(after.replace(day=3), 10), self.publish, month, name)
                self.at(_at(after.replace(day=9), 8), self.close, name)
            visitors = self.plan_rng.randint(1, 3)
            self.at(_at(month.replace(day=20), 14), self.store_day, visitors)
            month = services.next_month(month)
        # Before the balances are reset, December is the store's busiest month.
        for day in (23, 27, 30):
            self.at(_at(date(y0, 12, day), 10), self.store_day, 4)

        # The household of the demo user `villager` (phone 13800000001): additions, a deduction,
        # claims, the store, an objection of theirs, and an entry in the list open for objections
        # now.
        p(home, "YF06", date(y0, 1, 30), "春节期间在院内燃放鞭炮，经网格员劝阻后停止")
        p(home, "HJ01", date(y0, 2, 25), INSPECTION["HJ01"])
        p(
            home,
            "ZY01",
            date(y0, 4, 12),
            "参加4月12日春季植树义务劳动",
            claim=True,
            at=_at(date(y0, 4, 13), 19, 40),
        )
        p(home, "HJ02", date(y0, 8, 26), INSPECTION["HJ02"])
        p(home, "XL01", date(y0, 12, 18), "被评为{y}年度村“好媳妇”")
        self.at(_at(date(y0, 12, 20), 9, 10), self.redeem, home, "食用油（5升）")
        p(home, "HJ01", date(y1, 3, 25), INSPECTION["HJ01"])
        p(
            home,
            "YF05",
            date(y1, 4, 5),
            "清明节鲜花祭扫，不上山烧纸",
            claim=True,
            at=_at(date(y1, 4, 5), 20, 5),
        )
        self.at(_at(date(y1, 6, 20), 9, 30), self.redeem, home, "洗衣粉（2公斤）")
        p(home, "ZY02", date(y1, 7, 21), "参加7月防汛巡堤值守")
        p(home, "HJ01", date(y1, 11, 20), INSPECTION["HJ01"], at=_at(date(y1, 11, 20), 15))
        p(
            home,
            "ZY03",
            date(y1, 11, 25),
            "参加11月“四点半课堂”志愿辅导",
            claim=True,
            at=_at(date(y1, 11, 26), 20, 15),
        )

        # A duplicate: the same tree-planting day recorded twice, corrected by a reversal.
        day = date(y0, 4, 12)
        p("DMP-080", "ZY01", day, "参加4月12日春季植树义务劳动", at=_at(day, 16), by=committee)
        p(
            "DMP-080",
            "ZY01",
            day,
            "参加4月12日春季植树义务劳动",
            at=_at(date(y0, 4, 14), 10),
            by=sec,
            tag="duplicate",
        )
        self.at(
            _at(date(y0, 5, 14), 10),
            self.reverse,
            "duplicate",
            "与同户4月12日植树义务劳动重复登记，另一笔已入账",
        )

        # Objections: upheld (the entry is voided) and rejected (it is posted).
        day = date(y0, 3, 26)
        p("DMP-021", "HJ01", day, INSPECTION["HJ01"], at=_at(day, 15), by=committee, tag="wood")
        self.at(
            _at(date(y0, 4, 5), 20),
            self.object,
            "wood",
            phone[2],
            "这家门前的柴草垛一直占着半边路，评“门前三包落实到位”不合适。",
        )
        self.at(
            _at(date(y0, 4, 7), 16),
            self.answer,
            "wood",
            True,
            "经积分评定小组现场复核，该户门前柴草确实占道，本条加分不予认定，已请网格员督促整改。",
        )

        day = date(y0, 6, 12)
        p("DMP-090", "PA05", day, "在自家地头焚烧麦秸", at=_at(day, 11), by=committee, tag="straw")
        self.at(
            _at(date(y0, 7, 4), 19),
            self.object,
            "straw",
            phone[6],
            "当天是邻居家在地头烧麦秸，我家的麦地挨着，不是我家烧的，请核实。",
        )
        self.at(
            _at(date(y0, 7, 7), 10),
            self.answer,
            "straw",
            False,
            "经查看网格员现场照片并走访周边农户，确认是该户人员在自家地头焚烧麦秸，"
            "扣分无误，异议不成立。",
        )

        day = date(y0, 7, 19)
        p(
            "DMP-055",
            "ZY01",
            day,
            "参加7月防汛沙袋装运义务劳动",
            claim=True,
            by=phone[4],
            at=_at(day, 21),
            reject="经核对义务劳动签到表，当天该户无人参加，不予认定。",
        )

        day = date(y0, 9, 20)
        p(
            "DMP-005",
            "YF01",
            day,
            "操办女儿婚事，提前向红白理事会报备",
            at=_at(day, 17),
            by=committee,
            tag="wedding",
        )
        self.at(
            _at(date(y0, 10, 5), 12),
            self.object,
            "wedding",
            villager,
            "这家办喜事摆了三十多桌，还放了鞭炮，不能算简办。",
        )
        self.at(
            _at(date(y0, 10, 7), 16),
            self.answer,
            "wedding",
            True,
            "经红白理事会核实，该户婚宴共三十二桌，超过村规民约第十二条的规定，"
            "本条加分作废；燃放鞭炮一事另行登记。",
        )
        day = date(y0, 10, 10)
        p(
            "DMP-005",
            "YF06",
            date(y0, 9, 20),
            "9月20日操办婚事时燃放鞭炮（红白理事会核实）",
            at=_at(day, 15),
            by=committee,
        )

        day = date(y0, 9, 15)
        p(
            "DMP-041",
            "GY03",
            day,
            "儿子应征入伍，已领取入伍通知书",
            at=_at(day, 10),
            by=officer,
            tag="army",
        )
        self.at(
            _at(date(y0, 10, 20), 9),
            self.reverse,
            "army",
            "新兵入营复检未通过，未能入伍，按细则冲正",
        )

        day = date(y0, 11, 26)
        p("DMP-250", "HJ07", day, INSPECTION["HJ07"], at=_at(day, 16), by=committee, tag="rain")
        self.at(
            _at(date(y0, 12, 4), 18),
            self.object,
            "rain",
            phone[15],
            "检查那天刚好下雨，门口的玉米秸第二天就清走了。",
        )
        self.at(
            _at(date(y0, 12, 6), 10),
            self.answer,
            "rain",
            False,
            "网格员11月上旬、中旬两次上门劝导，检查时仍未清理，扣分符合细则，"
            "异议不成立；已经清理的，下月检查可以正常评定。",
        )

        # 美丽庭院 last year: the results came out in November.
        for number in ("DMP-012", "DMP-046", "DMP-118", "DMP-207", "DMP-263"):
            day = date(y0, 11, 18)
            p(
                number,
                "HJ04",
                day,
                "庭院种花种菜、整洁美观，被评为{y}年度“美丽庭院”",
                at=_at(day, self.plan_rng.randint(9, 16)),
            )

        # Last year's star households, one revoked, and the year-end benefit before the Spring
        # Festival.
        self.at(_at(date(y1, 1, 15), 10), self.stars_rate)
        self.at(_at(date(y1, 1, 16), 9), self.stars_publish)
        self.at(_at(date(y1, 1, 22), 10), self.stars_revoke)
        self.at(_at(date(y1, 1, 28), 10), self.allocate)
        self.at(_at(date(y1, 1, 30), 9), self.allocation_publish)

        day = date(y1, 2, 16)
        p(
            "DMP-126",
            "XL05",
            day,
            "春节回家看望老人，帮老人修好了漏雨的屋顶",
            claim=True,
            by=phone[8],
            at=_at(day, 20),
        )

        # An objection answered after the list was posted: rejected, so the entry posts then.
        day = date(y1, 3, 26)
        p("DMP-199", "HJ02", day, INSPECTION["HJ02"], at=_at(day, 15), by=committee, tag="clean")
        self.at(
            _at(date(y1, 4, 7), 21),
            self.object,
            "clean",
            phone[12],
            "这家上个月刚因为乱倒垃圾被劝导过，评洁净户不合理。",
        )
        self.at(
            _at(date(y1, 4, 10), 10),
            self.answer,
            "clean",
            False,
            "经复核，该户3月初劝导后已整改，3月检查结果为洁净户，异议不成立。",
        )

        # Rejected at review: the same check counted twice.
        day = date(y1, 4, 25)
        p("DMP-039", "HJ01", day, INSPECTION["HJ01"], at=_at(day, 15), by=officer)
        p(
            "DMP-039",
            "HJ02",
            day,
            INSPECTION["HJ02"],
            at=_at(day, 15, 5),
            by=officer,
            reject="同一次检查已计“门前三包落实到位”，不再重复计“洁净户”。",
        )

        day = date(y1, 6, 13)
        p("DMP-150", "ZY01", day, "参加6月清理河道义务劳动", at=_at(day, 17), by=sec, tag="hired")
        self.at(
            _at(date(y1, 7, 5), 20),
            self.object,
            "hired",
            phone[9],
            "那天他家没人去，是花钱雇外村人干的。",
        )
        self.at(
            _at(date(y1, 7, 7), 15),
            self.answer,
            "hired",
            True,
            "经核实，当天参加劳动的是该户雇请的外村人员，不是家庭成员，本条积分作废。",
        )

        # The wrong household recorded: reversed, then recorded for the right one.
        day = date(y1, 6, 10)
        p(
            "DMP-110",
            "PA05",
            day,
            "在自家地头焚烧麦秸",
            at=_at(day, 11),
            by=committee,
            tag="neighbour",
        )
        self.at(
            _at(date(y1, 7, 15), 9),
            self.reverse,
            "neighbour",
            "经核实焚烧麦秸的是相邻地块的承包户，登记户别有误",
        )
        p(
            "DMP-112",
            "PA05",
            day,
            "6月10日在自家地头焚烧麦秸（原误登记在DMP-110户）",
            at=_at(date(y1, 7, 15), 9, 30),
            by=committee,
        )

        day = date(y1, 9, 6)
        p(
            "DMP-160",
            "YF04",
            day,
            "孩子考上大学不办升学宴",
            at=_at(day, 16),
            by=committee,
            tag="college",
        )
        self.at(
            _at(date(y1, 10, 5), 19),
            self.object,
            "college",
            phone[10],
            "听说他家在县城饭店请了二十多桌。",
        )
        self.at(
            _at(date(y1, 10, 7), 10),
            self.answer,
            "college",
            False,
            "经红白理事会走访核实，该户只请直系亲属在家吃了便饭，县城饭店的宴请是"
            "其亲戚家另办的喜事，异议不成立。",
        )

        # 美丽庭院 this year: the results came out at the end of October, in October's list.
        for number in (home, "DMP-037", "DMP-230", "DMP-275"):
            p(
                number,
                "HJ04",
                date(y1, 10, 28),
                "庭院种花种菜、整洁美观，被评为{y}年度“美丽庭院”",
                at=_at(date(y1, 10, 30), self.plan_rng.randint(9, 16)),
            )
        self.schedule_now()

    def schedule_now(self):
        """What is under way on the day of loading, whatever the day: late entries of the
        latest published month, reviewed and published two days ago as a supplementary list
        still open for objections (one objection waiting for an answer), and the grid officer's
        check of yesterday waiting for review."""
        now = self.now

        def back(days: int, hour: int, minute: int = 0) -> datetime:
            return _at((now - timedelta(days=days)).date(), hour, minute)

        published = back(2, 11)
        latest = services.month_start(published.date())  # its month's list is out on the 3rd
        late = _previous_month(latest if published.day >= 3 else _previous_month(latest))
        day = late.replace(day=25)
        for i, number in enumerate((self.home.number, "DMP-037", "DMP-230", "DMP-275")):
            self.plan(
                number,
                "HJ01",
                day,
                INSPECTION["HJ01"] + "（检查表晚交，补登）",
                at=back(4, 15, 10 * i),
                tag=f"late-{number}",
            )
        self.at(back(3, 10), self.review, services.next_month(late))
        self.at(published, self.publish, late, "supplementary", True)
        self.at(
            back(1, 9, 30),
            self.object,
            "late-DMP-230",
            self.phone[13],
            "他家门前的柴草堆了一个多月，检查那几天才临时挪开的。",
        )
        officer = self.user["gridofficer"]
        yesterday = (now - timedelta(days=1)).date()
        for i, (number, code) in enumerate((("DMP-037", "HJ01"), ("DMP-040", "HJ07"))):
            self.plan(number, code, yesterday, INSPECTION[code], at=back(1, 15, 20 * i), by=officer)

    def build(self):
        y0 = self.year - 1
        with clock(_at(date(y0 - 1, 12, 26), 15)):
            self.catalogue()
        with clock(_at(date(y0 - 1, 12, 30), 10)):
            self.store_keeper()
        with clock(_at(date(y0, 1, 2), 10)):
            self.store()
        self.schedule()
        self.run()

    def summary(self) -> str:
        v = self.village
        entries = Entry.objects.filter(village=v)
        conduct = entries.filter(kind=EntryKind.CONDUCT)
        objections = Objection.objects.filter(village=v)
        return (
            f"  积分: {len(self.rules)} 条规则, {len(self.items)} 种超市物品, "
            f"{conduct.count()} 笔加减分（{conduct.filter(status=EntryStatus.POSTED).count()} "
            f"笔已入账）, {Publication.objects.filter(village=v).count()} 期公示, "
            f"{objections.count()} 条异议, "
            f"{entries.filter(kind=EntryKind.REVERSAL).count()} 笔冲正, "
            f"{Redemption.objects.filter(village=v).count()} 笔兑换"
        )


def build_demo(township, stdout=None):
    village = Village.objects.filter(township=township, code="dongmaopu").first()
    if village is None or Catalogue.objects.filter(village=village).exists():
        return
    demo = PointsDemo(village, stdout)
    demo.build()
    demo.say(demo.summary())
