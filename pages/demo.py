"""Demo site of 东毛铺村 (and an empty one for 西河村): the 村规民约 in two versions, moral
models with generated portraits, notices to different audiences, the power list, the 一核五治
home sections. The texts live in demo_content.py."""

import io
import random
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from simple_history.utils import bulk_update_with_history
from wagtail.images import get_image_model
from wagtail.models import Collection

from village import audit
from village.models import Grid, PartyMembership, Village, Villager, VillagerStatus

from . import demo_content as content
from . import selectors, services
from .models import (
    MoralModelIndexPage,
    MoralModelPage,
    NoticeIndexPage,
    NoticePage,
    NoticeRead,
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


READ_SEED = 20260301
ONLINE_SHARE = 0.85  # households where someone has a smartphone and a login


def _online(village) -> dict[int, list[Villager]]:
    """Who confirms notices on a phone, by household: the demo accounts, one adult in most other
    households (a phone number and a login, as a villager gets one with an activation code),
    and every party member and representative up to 75 (the branch keeps them online).

    Written in bulk, like the register itself (village.demo): one history row and one audit
    event per change, as `villager_update` and `account_create` would write them one by one."""
    from village.demo import PASSWORD  # not at import: village.demo loads Faker

    rng = random.Random(READ_SEED)
    today = timezone.localdate()
    people = list(
        Villager.objects.filter(village=village, status=VillagerStatus.REGISTERED)
        .select_related("household")
        .order_by("household__number", "id")
    )
    by_household: dict[int, list[Villager]] = {}
    for v in people:
        by_household.setdefault(v.household_id, []).append(v)

    def age(v):
        return (today - v.birth_date).days // 365

    chosen = []
    for members in by_household.values():
        if any(v.user_id for v in members):
            continue
        if rng.random() < ONLINE_SHARE:
            adults = [v for v in members if 18 <= age(v) <= 70]
            adults.sort(key=lambda v: (v.relation_to_head not in ("户主", "配偶"), age(v) > 60))
            if adults:
                chosen.append(adults[0])
    chosen_ids = {v.pk for v in chosen}
    for v in people:
        if v.user_id or v.pk in chosen_ids or age(v) > 75:
            continue
        if v.is_representative or v.party_membership != PartyMembership.NONE:
            chosen.append(v)
    chosen.sort(key=lambda v: v.pk)
    User = get_user_model()
    password = make_password(PASSWORD)
    # 137 + the village's place in its township (two digits) + six: eleven digits whatever the
    # database's ids are (PostgreSQL's sequences are not reset between test runs).
    place = Village.objects.filter(township=village.township_id, pk__lt=village.pk).count()
    phones = {v.pk: f"137{place:02d}{n:06d}" for n, v in enumerate(chosen, start=1)}
    User.objects.bulk_create(
        [User(username=phones[v.pk], first_name=v.name, password=password) for v in chosen]
    )
    users = {u.username: u for u in User.objects.filter(username__in=phones.values())}
    for v in chosen:
        v.phone = phones[v.pk]
        v.user = users[phones[v.pk]]
    bulk_update_with_history(chosen, Villager, ["phone", "user"])
    audit.record_many(
        actor=None,
        village=village,
        events=[audit.Event("village.villager.update", v, {"phone": ["", v.phone]}) for v in chosen]
        + [audit.Event("village.account.create", v, {"username": v.phone}) for v in chosen],
    )
    online: dict[int, list[Villager]] = {}
    for v in Villager.objects.filter(village=village, user__isnull=False).select_related(
        "user", "household__area"
    ):
        online.setdefault(v.household_id, []).append(v)
    return online


def _reads(village, notices, online) -> int:
    """Households confirm a notice over the days after it is published: about 60 % of the
    audience on its first day, up to 80 % after three weeks; households without anyone online
    stay on the unread report for the grid officer to visit. The demo villager has not yet read
    what came this week.

    Each read is what `services.notice_mark_read` writes — a receipt of a villager in the
    notice's audience and a `pages.notice.read` event — in bulk, a day's reads at a time (one
    by one they would double the time the demo takes to load)."""
    rng = random.Random(READ_SEED + 1)
    now = timezone.localtime()
    today = now.date()
    home = get_user_model().objects.get(username="villager").villager.household_id
    count = 0
    for notice in notices:
        age = (today - notice.publish_on).days
        share = 0.6 + 0.2 * min(age, 21) / 21
        start = datetime.combine(notice.publish_on, time(8), tzinfo=now.tzinfo)
        span = max((now - start).total_seconds(), 60)
        households = list(selectors.audience_households(notice, village).order_by("number"))
        readers_of = {
            h.pk: [v for v in online.get(h.pk, []) if selectors.in_audience(notice, v)]
            for h in households
        }
        reachable = sum(1 for readers in readers_of.values() if readers)
        chance = share * len(households) / max(reachable, 1)
        by_day: dict[date, list[NoticeRead]] = {}
        for household in households:
            readers = readers_of[household.pk]
            if not readers or rng.random() >= chance:
                continue
            if household.pk == home and age < 7:
                continue
            at = min(start + timedelta(seconds=span * rng.random() ** 2), now)
            reader = rng.choice(readers)
            by_day.setdefault(at.date(), []).append(
                NoticeRead(
                    notice=notice,
                    villager=reader,
                    household_id=household.pk,
                    user=reader.user,
                    read_at=at,
                )
            )
        for _day, reads in sorted(by_day.items()):
            reads.sort(key=lambda r: r.read_at)
            NoticeRead.objects.bulk_create(reads)
            with mock.patch("django.utils.timezone.now", return_value=reads[-1].read_at):
                audit.record_many(
                    actor=None,
                    village=village,
                    events=[
                        audit.Event(
                            "pages.notice.read",
                            notice,
                            {"villager": r.villager_id, "household": r.household_id},
                        )
                        for r in reads
                    ],
                )
            count += len(reads)
    return count


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
    pages = []
    for item in content.NOTICES:
        published = today - timedelta(days=item["days_ago"])
        page = NoticePage(
            title=content.dated(item["title"], today),
            category=item["category"],
            urgency=item["urgency"],
            audience=item["audience"],
            publish_on=published,
            expires_on=(published + timedelta(days=item["expires_in_days"]))
            if item.get("expires_in_days")
            else None,
            body=_paragraphs(content.dated(p, today) for p in item["body"]),
        )
        notices.add_child(instance=page)
        pages.append(page)
        if item["audience"] == "grids":
            page.grids.set(_areas(village, item["areas"]))
        page.save_revision(user=sec).publish(user=sec)
    reads = _reads(village, pages, _online(village))
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
            f"  网站: {NoticePage.objects.descendant_of(home).count()} 条通知"
            f"（{reads} 户次已读）, "
            f"{MoralModelPage.objects.descendant_of(home).count()} 位道德模范"
        )
