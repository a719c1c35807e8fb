"""Demo matters of 东毛铺村, recorded through the services on a simulated clock so that every
record, publication window and audit event carries the date it would have had.

The story was written for 27 November 2026 (STORY_TODAY); every date moves with the day the demo
is loaded, so the same matters are archived, returned, published and open to vote on any day."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from village import permissions
from village import services as village_services
from village.demo import clock
from village.models import Village
from village.permissions import SYSTEM
from village.selectors import Body as CoreBody

from .. import services
from ..models import Matter
from .meetings import TZ, at, members, steps_1_to_3, vote

STORY_TODAY = date(2026, 11, 27)


def build_demo(township, stdout=None):
    village = Village.objects.get(township=township, code="dongmaopu")
    User = get_user_model()
    sec = User.objects.get(username="secretary")
    phones = [f"138{i:08d}" for i in range(2, 21)]
    voters = list(User.objects.filter(username__in=phones).order_by("username"))
    now = timezone.now().astimezone(TZ).replace(microsecond=0)
    today = now.date()
    shift = today - STORY_TODAY

    def d(day: str) -> str:
        """A day of the story, moved to the same distance from the day of loading."""
        return (date.fromisoformat(day) + shift).isoformat()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    # 1. Archived with its result: the main street and lights (secret ballot, representatives).
    with clock(at(d("2026-03-02"))):
        road = services.matter_create(
            actor=sec,
            village=village,
            title="村内主干道硬化及路灯安装工程",
            body="对村内东西主干道1.2公里进行水泥硬化，安装太阳能路灯60盏。所需资金由上级“一事一议”"
            "财政奖补资金和村集体经济收入解决，村民投工投劳，不向农户收费。工程由村务监督委员会全程监督。",
            category="public_welfare_funding",
            origin="cadre",
            ballot_mode="secret",
            estimated_amount_fen=86_000_000,
        )
    steps_1_to_3(
        sec,
        road,
        village,
        [d("2026-03-03"), d("2026-03-05"), d("2026-03-09")],
        minutes=("一致同意提议。", "两委商议，同意提交党员大会。", "党员大会审议通过。"),
    )
    reps = members(village, CoreBody.REPRESENTATIVES, d("2026-03-12"))
    vote(
        sec,
        road,
        village,
        d("2026-03-12"),
        at(d("2026-03-12"), 17),
        hall_yes=len(reps) - 3,
        hall_no=1,
    )
    with clock(at(d("2026-03-12"), 18)):
        services.matter_close_vote(
            actor=sec, matter=road, minutes="村民代表会议无记名投票表决，当场计票。"
        )
    with clock(at(d("2026-03-13"))):
        services.matter_publish(
            actor=sec,
            matter=road,
            text="村民代表会议表决通过《村内主干道硬化及路灯安装工程》方案，现予公开。",
        )
    with clock(at(d("2026-03-21"))):
        services.publication_close(actor=sec, matter=road)
    for day, text in [
        (d("2026-05-10"), "路基平整完成，开始浇筑。"),
        (d("2026-07-02"), "道路硬化完工，60盏路灯安装完毕。"),
    ]:
        with clock(at(day)):
            services.implementation_add(actor=sec, matter=road, text=text)
    with clock(at(d("2026-07-05"))):
        services.result_publish(
            actor=sec,
            matter=road,
            text="工程已完工并通过镇村联合验收，决算金额82.4万元，明细见村务公开栏。",
        )
    with clock(at(d("2026-07-09"))):
        services.publication_close(actor=sec, matter=road)

    # 2. Returned after the party members' review lacked a quorum.
    with clock(at(d("2026-09-01"))):
        rent = services.matter_create(
            actor=sec,
            village=village,
            title="闲置村委会旧址出租方案",
            body="将闲置的村委会旧址（约300平方米）公开招租，租期三年，租金收入纳入村集体经济。",
            category="disposal_of_property",
            origin="cadre",
        )
    steps_1_to_3(
        sec,
        rent,
        village,
        [d("2026-09-02"), d("2026-09-04"), d("2026-09-10")],
        minutes=("同意提议。", "同意提交党员大会。", "到会党员不足，未形成决议。"),
        fail_party=True,
    )

    # 3. Resolved by the representatives four days ago and published two days ago: the board
    # shows a resolution open for objections now. (Minutes are required when a meeting is
    # recorded, so no demo matter lacks them any more.)
    with clock(at(ago(12))):
        allowance = services.matter_create(
            actor=sec,
            village=village,
            title=f"{today.year}年度村干部误工补贴标准",
            body="网格员、村民小组长误工补贴按每人每月300元发放，由村集体经济收入列支。",
            category="allowance",
            origin="higher",
        )
    steps_1_to_3(
        sec,
        allowance,
        village,
        [ago(11), ago(10), ago(7)],
        minutes=("同意提议。", "两委商议，同意按上级标准执行。", "审议通过。"),
    )
    reps = members(village, CoreBody.REPRESENTATIVES, ago(4))
    vote(
        sec,
        allowance,
        village,
        ago(4),
        at(ago(4), 17),
        hall_yes=len(reps) - 4,
        hall_no=2,
    )
    with clock(at(ago(4), 18)):
        services.matter_close_vote(actor=sec, matter=allowance, minutes="村民代表会议举手表决。")
    with clock(at(ago(2))):
        services.matter_publish(
            actor=sec, matter=allowance, text="误工补贴标准经村民代表会议表决通过，现予公开。"
        )

    # 4. The villagers' vote is open now; it started as a villager's suggestion (村民说事).
    start = now - timedelta(days=12)
    with clock(start):
        suggestion = services.suggestion_submit(
            actor=voters[0],
            village=village,
            text="北山坡的集体荒地一直闲着，能不能流转给合作社种花椒，收益给大家分红？",
        )
    with clock(start + timedelta(hours=3)):
        land = services.suggestion_adopt(
            actor=sec,
            suggestion=suggestion,
            title=f"{today.year + 1}年村集体土地流转方案",
            body="将北山坡集体土地120亩流转给本村花椒种植专业合作社，期限5年"
            f"（{today.year + 1}年1月1日至{today.year + 5}年12月31日），"
            "租金每亩每年500元，每年12月底前一次付清，收益按户分配。合作社优先雇用本村村民。",
            category="land_contract",
            deciding_body="villagers_meeting",
        )
    days = [(start + timedelta(days=d)).date().isoformat() for d in (1, 3, 6)]
    steps_1_to_3(
        sec,
        land,
        village,
        days,
        minutes=("支委会一致同意提议。", "两委商议同意。", "党员大会审议通过，交村民会议表决。"),
    )
    open_day = (now - timedelta(days=1)).date().isoformat()
    with clock(at(open_day, 8)):
        services.matter_open_vote(
            actor=sec,
            matter=land,
            held_on=at(open_day).date(),
            place="村文化广场",
            opens_at=at(open_day, 8),
            closes_at=now + timedelta(days=5),
        )
    for i, user in enumerate(voters[:12]):
        with clock(at(open_day, 9) + timedelta(minutes=13 * i)):
            services.vote_cast(actor=user, matter=land, choice="no" if i == 4 else "yes")

    # 4b. Open for an online secret vote of the villagers' meeting: the year-end distribution
    # (of this year from autumn on, of last year before).
    income_year = today.year if today.month >= 10 else today.year - 1
    with clock(start + timedelta(days=1)):
        dividend = services.matter_create(
            actor=sec,
            village=village,
            title=f"{income_year}年度村集体经济收益分配方案",
            body=f"{income_year}年村集体经济经营性收益扣除公积公益金后，按户分配：每户基础分红300元，"
            "另按户积分排名发放文明奖励，总额不超过5万元。分配名单经村务监督委员会审核后张榜公示。",
            category="collective_income",
            origin="cadre",
            deciding_body="villagers_meeting",
            ballot_mode="secret",
            estimated_amount_fen=5_000_000,
        )
    days = [(start + timedelta(days=d)).date().isoformat() for d in (2, 4, 7)]
    steps_1_to_3(
        sec,
        dividend,
        village,
        days,
        minutes=("支委会提议。", "两委商议同意。", "党员大会审议通过，交村民会议无记名投票表决。"),
    )
    vote(sec, dividend, village, open_day, now + timedelta(days=6), online_users=voters[12:18])

    # 5. A draft the committee is still preparing; a 乡贤参事 (a retired teacher the branch
    # invited) has given advice on it (参事不决事: shown with the matter, never a vote).
    rules_draft = services.matter_create(
        actor=sec,
        village=village,
        title="村规民约修订：垃圾不落地与禁燃烟花爆竹条款",
        body="拟在村规民约中细化“垃圾不落地”责任区和禁止燃放烟花爆竹的奖惩办法，与户积分挂钩。",
        category="village_rules",
        origin="cadre",
    )
    worthy = permissions.villager_of(voters[-1])
    village_services.membership_create(
        actor=SYSTEM,
        village=village,
        villager=worthy,
        role="xiangxian",
        start=today - timedelta(days=200),
        note="乡贤参事会成员（退休教师）",
    )
    with clock(now - timedelta(hours=2)):
        services.advisory_add(
            actor=voters[-1],
            matter=rules_draft,
            text="“垃圾不落地”责任区宜按片区划到户，并写明老人、残疾人户由网格员协助；"
            "禁燃条款建议保留婚丧嫁娶的集中燃放点，便于执行。",
        )
    if stdout:
        stdout.write(f"  议事: {Matter.objects.filter(village=village).count()} 个议题")
