"""Demo site of 东毛铺村 (and an empty one for 西河村): the 村规民约 in two versions, moral
models with generated portraits, notices to different audiences, the power list, the 一核五治
home sections. The texts live in demo_content.py."""

import io
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Collection

from village.models import Grid, Village

from . import demo_content as content
from . import services
from .models import (
    MoralModelIndexPage,
    MoralModelPage,
    NoticeIndexPage,
    NoticePage,
    PowerListPage,
    RulesPage,
    StandardPage,
)


def _portrait(color: str, name: str):
    """A plain generated portrait: a silhouette on the person's colour (no photo of anyone)."""
    size = 320
    img = PILImage.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(img)
    draw.ellipse((size * 0.3, size * 0.16, size * 0.7, size * 0.56), fill="#f3e9dc")
    draw.ellipse((size * 0.12, size * 0.6, size * 0.88, size * 1.3), fill="#f3e9dc")
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    buffer.seek(0)
    Image = get_image_model()
    collection = (
        Collection.objects.filter(name="东毛铺村").first() or Collection.get_first_root_node()
    )
    image = Image(title=name, collection=collection)
    image.file.save(f"portrait-{abs(hash(name)) % 10**8}.png", ImageFile(buffer, name="p.png"))
    image.save()
    return image


def _chapters(rules: dict) -> list:
    return [
        ("chapter", {"title": c["title"], "articles": list(c["articles"])})
        for c in rules["chapters"]
    ]


def _paragraphs(items) -> str:
    return "".join(f"<p>{p}</p>" for p in items)


def _rules(home, sec):
    page = RulesPage.objects.child_of(home).first().specific
    for version in (content.RULES_PREVIOUS, content.RULES):
        page.title = version["title"]
        page.preamble = version.get("preamble", "")
        page.chapters = _chapters(version)
        page.adopted_on = date.fromisoformat(version["adopted_on"])
        page.filed_on = date.fromisoformat(version["filed_on"])
        page.save_revision(user=sec).publish(user=sec)
        page.refresh_from_db()


def _home_sections(home, sec):
    home.intro = "党支部为核心，政治、法治、德治、自治、智治“五治”融合，建设平安和美东毛铺。"
    home.sections = [
        (
            "section",
            {
                "pillar": s["pillar"],
                "title": s["title"],
                "text": _paragraphs([s["text"]] if isinstance(s["text"], str) else s["text"]),
                "links": [
                    {"label": link["label"], "target": link["target"], "url": ""}
                    for link in s["links"]
                ],
            },
        )
        for s in content.HOME_SECTIONS
    ]
    home.save_revision(user=sec).publish(user=sec)


def _areas(village, names):
    return list(Grid.objects.filter(village=village, name__in=names))


def build_demo(township, stdout=None):
    village = Village.objects.get(township=township, code="dongmaopu")
    second = Village.objects.get(township=township, code="xihe")
    home = services.village_site_setup(actor=None, village=village)
    services.village_site_setup(actor=None, village=second)
    sec = get_user_model().objects.get(username="secretary")
    _home_sections(home, sec)
    _rules(home, sec)
    models_index = MoralModelIndexPage.objects.child_of(home).first()
    models_index.intro = "身边的好人好事，是我们村最宝贵的财富。"
    models_index.save_revision(user=sec).publish(user=sec)
    for story in content.MORAL_MODELS:
        page = MoralModelPage(
            title=story["name"],
            category=story["category"],
            year=story["year"],
            headline=story["title"],
            story=_paragraphs(story["story"]),
            portrait=_portrait(story["portrait_color"], story["name"]),
        )
        models_index.add_child(instance=page)
        page.save_revision(user=sec).publish(user=sec)
    notices = NoticeIndexPage.objects.child_of(home).first()
    today = timezone.localdate()
    for item in content.NOTICES:
        published = today - timedelta(days=item["days_ago"])
        page = NoticePage(
            title=item["title"],
            category=item["category"],
            urgency=item["urgency"],
            audience=item["audience"],
            publish_on=published,
            expires_on=(published + timedelta(days=item["expires_in_days"]))
            if item.get("expires_in_days")
            else None,
            body=_paragraphs(item["body"]),
        )
        notices.add_child(instance=page)
        if item["audience"] == "grids":
            page.grids.set(_areas(village, item["areas"]))
        page.save_revision(user=sec).publish(user=sec)
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
        for p in content.POWERS
    ]
    powers.save_revision(user=sec).publish(user=sec)
    for item in content.STANDARD_PAGES:
        page = StandardPage(
            title=item["title"],
            slug=item["slug"],
            body=[("paragraph", _paragraphs([p])) for p in item["paragraphs"]],
        )
        home.add_child(instance=page)
        page.save_revision(user=sec).publish(user=sec)
    if stdout:
        stdout.write(
            f"  网站: {NoticePage.objects.descendant_of(home).count()} 条通知, "
            f"{MoralModelPage.objects.descendant_of(home).count()} 位道德模范"
        )
