"""The village website's demo pages, through Wagtail's page API: the home page's 一核五治
sections, the 村规民约 in two versions, moral models, notices to different audiences (and who
has read them), the power list, and the standard pages."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from village.models import Grid, Village
from village.permissions import SYSTEM

from .. import services
from ..models import (
    MoralModelIndexPage,
    MoralModelPage,
    NoticeIndexPage,
    NoticePage,
    NoticeQuestion,
    PowerListPage,
    RulesPage,
    StandardPage,
)
from .content import (
    HOME_SECTIONS,
    MORAL_MODELS,
    NOTICES,
    POWERS,
    RULES,
    RULES_PREVIOUS,
    STANDARD_PAGES,
    dated,
)
from .images import portrait
from .online import online, proxy_demo, questionnaire_demo, reach_fill, reads_create


def paragraphs(items) -> str:
    """Rich text of one <p> per item."""
    return "".join(f"<p>{p}</p>" for p in items)


def chapters(rules: dict) -> list:
    return [
        ("chapter", {"title": c["title"], "articles": list(c["articles"])})
        for c in rules["chapters"]
    ]


def publish(page, user) -> None:
    page.save_revision(user=user).publish(user=user)


def rules_publish(home, sec):
    """The previous 村规民约, then the one in force, as two revisions of one page."""
    page = RulesPage.objects.child_of(home).first().specific
    for version in (RULES_PREVIOUS, RULES):
        page.title = version["title"]
        page.preamble = version.get("preamble", "")
        page.chapters = chapters(version)
        page.adopted_on = date.fromisoformat(version["adopted_on"])
        page.filed_on = date.fromisoformat(version["filed_on"])
        publish(page, sec)
        page.refresh_from_db()


def section(s: dict) -> tuple:
    text = [s["text"]] if isinstance(s["text"], str) else s["text"]
    return (
        "section",
        {
            "pillar": s["pillar"],
            "title": s["title"],
            "text": paragraphs(text),
            "links": [
                {"label": link["label"], "target": link["target"], "url": ""} for link in s["links"]
            ],
        },
    )


def home_sections(home, sec):
    home.intro = "党支部为核心，政治、法治、德治、自治、智治“五治”融合，建设平安和美东毛铺。"
    home.sections = [section(s) for s in HOME_SECTIONS]
    publish(home, sec)


def moral_models(home, sec):
    models_index = MoralModelIndexPage.objects.child_of(home).first()
    models_index.intro = "身边的好人好事，是我们村最宝贵的财富。"
    publish(models_index, sec)
    for story in MORAL_MODELS:
        page = MoralModelPage(
            title=story["name"],
            category=story["category"],
            year=story["year"],
            headline=story["title"],
            story=paragraphs(story["story"]),
            portrait=portrait(story["portrait_color"], story["name"]),
        )
        models_index.add_child(instance=page)
        publish(page, sec)


def notices_publish(village, home, sec) -> list[NoticePage]:
    """The notices of `NOTICES`, each published its number of days ago."""
    index = NoticeIndexPage.objects.child_of(home).first()
    today = timezone.localdate()
    pages = []
    for item in NOTICES:
        published = today - timedelta(days=item["days_ago"])
        expires_in = item.get("expires_in_days")
        page = NoticePage(
            title=dated(item["title"], today),
            category=item["category"],
            urgency=item["urgency"],
            audience=item["audience"],
            publish_on=published,
            expires_on=(published + timedelta(days=expires_in)) if expires_in else None,
            body=paragraphs(dated(p, today) for p in item["body"]),
        )
        index.add_child(instance=page)
        pages.append(page)
        if item["audience"] == "grids":
            page.grids.set(Grid.objects.filter(village=village, name__in=item["areas"]))
        publish(page, sec)
    return pages


def questionnaire_publish(village, home, sec) -> NoticePage:
    """户情收集: a notice of this week asking every household three questions."""
    index = NoticeIndexPage.objects.child_of(home).first()
    page = NoticePage(
        title="冬春季返乡人员户情登记",
        category="affairs",
        urgency="important",
        audience="everyone",
        publish_on=timezone.localdate() - timedelta(days=1),
        body=paragraphs(
            [
                "为做好冬春季疫情防控和返乡人员服务，请各户回答下面三个问题，每户答一次。",
                "不方便上网的户，片区网格员会上门代为登记。回答只有村干部和本片区网格员能看到。",
            ]
        ),
    )
    page.questions = [
        NoticeQuestion(text="家中是否有外地返乡人员？", kind="choice", options="是\n否"),
        NoticeQuestion(text="返乡人数（没有填 0）", kind="number"),
        NoticeQuestion(text="从哪里返乡（没有填“无”）", kind="text"),
    ]
    index.add_child(instance=page)
    publish(page, sec)
    return page


def powers_publish(home, sec):
    powers = PowerListPage.objects.child_of(home).first().specific
    powers.intro = "村级小微权力清单：每一项权力的依据、流程和监督方式，村民都可以查。"
    powers.powers = [
        (
            "power",
            {
                "name": p["name"],
                "basis": p["basis"],
                "responsible": p["responsible"],
                "steps": list(p["steps"]),
                "supervision": p["supervision"],
            },
        )
        for p in POWERS
    ]
    publish(powers, sec)


def standard_pages(home, sec):
    for item in STANDARD_PAGES:
        page = StandardPage(
            title=item["title"],
            slug=item["slug"],
            body=[("paragraph", paragraphs([p])) for p in item["paragraphs"]],
        )
        home.add_child(instance=page)
        publish(page, sec)


def build_demo(township, stdout=None):
    """The app's demo builder (registered with village.extensions): 东毛铺村's site, and an
    empty one for 西河村."""
    village = Village.objects.get(township=township, code="dongmaopu")
    second = Village.objects.get(township=township, code="xihe")
    home = services.village_site_setup(actor=SYSTEM, village=village)
    services.village_site_setup(actor=SYSTEM, village=second)
    sec = get_user_model().objects.get(username="secretary")
    home_sections(home, sec)
    rules_publish(home, sec)
    moral_models(home, sec)
    # The notices are entered as history; the fire notice is then told to today's accounts and
    # the officers record whom they told, so its reach page shows every way (docs/reach.md).
    with services.history_replayed():
        pages = notices_publish(village, home, sec)
        asking = questionnaire_publish(village, home, sec)
    reads = reads_create(village, pages, online(village))
    told = reach_fill(village, pages[0])
    proxy = proxy_demo(village, pages[0])
    answered = questionnaire_demo(village, asking)
    powers_publish(home, sec)
    standard_pages(home, sec)
    if stdout:
        stdout.write(
            f"  网站: {NoticePage.objects.descendant_of(home).count()} 条通知"
            f"（{reads} 户次已读，{told} 户次已告知）, "
            f"亲情账号 {proxy.phone}（{proxy.household.number} 户）, "
            f"户情收集 {answered} 户已答, "
            f"{MoralModelPage.objects.descendant_of(home).count()} 位道德模范"
        )
