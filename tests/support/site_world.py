"""A village site to test against: 东毛铺村 with two large grids and three areas, villagers with
accounts in different areas, a party member, a representative, the grid officer of one area
and the secretary; a neighbouring village with its own site and secretary; notices published
to each kind of audience through the Wagtail API.

Households of 东毛铺村 (all active):

    第一网格 · 一片区   h1 (two members: a1 head, a1b)   h2 (a1c)   h_officer (the grid officer)
    第一网格 · 二片区   h3 (a2)   h_secretary (the secretary)
    第二网格 · 三片区   h4 (a3)   h5 (the party member)   h6 (the representative)
"""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from pages import services
from pages.models import Audience, NoticeIndexPage, NoticePage
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    LargeGridFactory,
    MembershipFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
)
from village.models import PartyMembership
from village.permissions import SYSTEM


def publish_notice(index, title, *, audience=Audience.EVERYONE, grids=(), body=None, **fields):
    """Publish a notice under `index` the way an editor would (a revision, then publish)."""
    page = NoticePage(
        title=title,
        audience=audience,
        body=body or f"<p>{title}：请各户留意。</p>",
        **fields,
    )
    index.add_child(instance=page)
    if grids:
        page.grids.set(list(grids))
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def notice_index_of(home) -> NoticeIndexPage:
    """The notices section (通知公告) of a village home."""
    return NoticeIndexPage.objects.child_of(home).get()


def villager_with_login(household, name, phone, *, head=False, username=None, **fields):
    """A villager of `household` with a login (`username`, or one made of the phone)."""
    user = UserFactory(username=username or f"u-{phone}")
    villager = VillagerFactory(household=household, name=name, phone=phone, user=user, **fields)
    if head:
        household.head = villager
        household.save(update_fields=["head"])
    return villager


def open_site(village):
    """The village's site opened by the platform itself, as the demo loader opens it."""
    return services.village_site_setup(actor=SYSTEM, village=village)


def build_site_world():
    """The village site of this module's docstring; the fixture `site_world` returns it."""
    today = timezone.localdate()
    township = TownshipFactory(name="东镇", code="dongzhen")
    village = VillageFactory(township=township, name="东毛铺村", code="dongmaopu")
    g1 = LargeGridFactory(village=village, name="第一网格")
    g2 = LargeGridFactory(village=village, name="第二网格")
    a1 = AreaFactory(parent=g1, name="一片区")
    a2 = AreaFactory(parent=g1, name="二片区")
    a3 = AreaFactory(parent=g2, name="三片区")

    def household(area, number):
        return HouseholdFactory(village=village, area=area, number=number)

    h1, h2, h_officer = household(a1, "A1-01"), household(a1, "A1-02"), household(a1, "A1-03")
    h3, h_secretary = household(a2, "A2-01"), household(a2, "A2-02")
    h4, h5, h6 = household(a3, "A3-01"), household(a3, "A3-02"), household(a3, "A3-03")

    term = today - timedelta(days=365)
    p = SimpleNamespace()
    p.a1 = villager_with_login(h1, "张一", "13900000001", head=True, username="a1")
    p.a1b = villager_with_login(h1, "张一妻", "13900000011", username="a1b", gender="f")
    p.a1c = villager_with_login(h2, "王二", "13900000002", head=True, username="a1c")
    p.officer = villager_with_login(
        h_officer, "李网格", "13900000003", head=True, username="officer"
    )
    p.a2 = villager_with_login(h3, "赵三", "13900000004", head=True, username="a2")
    p.secretary = villager_with_login(
        h_secretary, "刘书记", "13900000005", head=True, username="secretary"
    )
    p.a3 = villager_with_login(h4, "孙四", "13900000006", head=True, username="a3")
    p.party = villager_with_login(
        h5,
        "周党员",
        "13900000007",
        head=True,
        username="party",
        party_membership=PartyMembership.FULL,
    )
    p.rep = villager_with_login(
        h6,
        "吴代表",
        "13900000008",
        head=True,
        username="rep",
        is_representative=True,
        representative_from=term,
    )
    MembershipFactory(villager=p.officer, role="grid_officer", grid=a1, start=term)
    MembershipFactory(villager=p.secretary, role="secretary", start=term)

    # The neighbouring village: its own site, secretary and one villager.
    other = VillageFactory(township=township, name="西河村", code="xihe")
    other_area = AreaFactory(parent=LargeGridFactory(village=other, name="西网格"), name="西片区")
    other_home_hh = HouseholdFactory(village=other, area=other_area, number="X-01")
    p.other_secretary = villager_with_login(
        other_home_hh, "陈书记", "13700000001", head=True, username="other_secretary"
    )
    p.other_villager = villager_with_login(
        HouseholdFactory(village=other, area=other_area, number="X-02"),
        "西河村民",
        "13700000002",
        head=True,
        username="other_villager",
    )
    MembershipFactory(villager=p.other_secretary, role="secretary", start=term)

    home = open_site(village)
    other_home = open_site(other)
    index = notice_index_of(home)
    other_index = notice_index_of(other_home)

    notices = SimpleNamespace(
        everyone=publish_notice(index, "春季防火通知", publish_on=today - timedelta(days=3)),
        area1=publish_notice(
            index,
            "一片区自来水管道维修",
            audience=Audience.GRIDS,
            grids=[a1],
            publish_on=today - timedelta(days=2),
        ),
        grid2=publish_notice(
            index,
            "第二网格道路硬化施工",
            audience=Audience.GRIDS,
            grids=[g2],
            publish_on=today - timedelta(days=2),
        ),
        party=publish_notice(
            index, "党员主题党日活动", audience=Audience.PARTY, publish_on=today - timedelta(days=1)
        ),
        reps=publish_notice(
            index,
            "村民代表会议通知",
            audience=Audience.REPRESENTATIVES,
            publish_on=today - timedelta(days=1),
        ),
        expired=publish_notice(
            index,
            "去年冬季征兵通知",
            publish_on=today - timedelta(days=60),
            expires_on=today - timedelta(days=1),
        ),
        other=publish_notice(other_index, "西河村秋收通知"),
    )
    return SimpleNamespace(
        village=village,
        other=other,
        township=township,
        grids=SimpleNamespace(g1=g1, g2=g2, a1=a1, a2=a2, a3=a3, other=other_area),
        households=SimpleNamespace(
            h1=h1, h2=h2, h_officer=h_officer, h3=h3, h_secretary=h_secretary, h4=h4, h5=h5, h6=h6
        ),
        people=p,
        home=home,
        other_home=other_home,
        index=index,
        other_index=other_index,
        notices=notices,
        today=today,
    )


# --- the village of the browser's notice journeys ---------------------------------------


def resident_with_login(household, name, username, *, phone="", head=True):
    """A villager of `household` whose account carries their name; head unless told."""
    villager = VillagerFactory(
        household=household,
        name=name,
        phone=phone,
        relation_to_head="户主" if head else "",
        # Accounts carry the villager's name, as activation gives them (village.services).
        user=UserFactory(username=username, first_name=name),
    )
    if head:
        household.head = villager
        household.save(update_fields=["head"])
    return villager


def build_notice_village() -> dict:
    """东毛铺村: 第一网格 with 一片区 (where the cadres live), 三片区 and 四片区; a secretary, a
    grid officer in charge of 三片区, one villager in 三片区 and one in 四片区; the site built by
    the service that opens a village's site (groups, permissions, moderation workflow)."""
    village = VillageFactory(name="东毛铺村", code="dongmaopu")
    grid = LargeGridFactory(village=village, name="第一网格")
    area1 = AreaFactory(parent=grid, name="一片区")
    area3 = AreaFactory(parent=grid, name="三片区")
    area4 = AreaFactory(parent=grid, name="四片区")
    secretary = resident_with_login(
        HouseholdFactory(area=area1, number="DMP-0101"), "李书记", "secretary", phone="13700000001"
    )
    MembershipFactory(villager=secretary, role="secretary")
    officer = resident_with_login(
        HouseholdFactory(area=area1, number="DMP-0102"), "张网格", "grid3", phone="13700000002"
    )
    MembershipFactory(villager=officer, role="grid_officer", grid=area3)
    reader3 = resident_with_login(
        HouseholdFactory(area=area3, number="DMP-0301", address="前街3号"),
        "王三喜",
        "wangsanxi",
        phone="13800000003",
    )
    reader4 = resident_with_login(
        HouseholdFactory(area=area4, number="DMP-0401", address="后街4号"),
        "赵四海",
        "zhaosihai",
        phone="13800000004",
    )
    home = open_site(village)
    notices = notice_index_of(home)
    return {
        "village": village,
        "area3": area3,
        "area4": area4,
        "secretary": secretary,
        "officer": officer,
        "reader3": reader3,
        "reader4": reader4,
        "home": home,
        "notices": notices,
    }
