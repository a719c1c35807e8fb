"""Writes of the village sites: a village's site with its editor groups and moderation
workflow, editors' group membership from their roles, and read receipts."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from village import audit, officers
from village import services as village_services
from village.models import (
    Channel,
    Delivery,
    Grid,
    Household,
    Membership,
    Notification,
    NotificationKind,
    Village,
    VillageRole,
)
from village.permissions import SYSTEM, proxy_mark, user_of

from . import selectors
from .models import (
    AnswerWay,
    Audience,
    HouseholdAnswer,
    MoralModelIndexPage,
    NoticeCategory,
    NoticeIndexPage,
    NoticePage,
    NoticeRead,
    NoticeTold,
    PowerListPage,
    RulesPage,
    TodoVisit,
    ToldChannel,
    TransparencyPage,
    Urgency,
    VillageHomePage,
    addressed_reader,
    answers_digest,
)

EDITORS, MODERATORS, DRAFTERS = "editors", "moderators", "drafters"


def group_name(village: Village, kind: str) -> str:
    label = {EDITORS: "网站编辑", MODERATORS: "通知审核", DRAFTERS: "网格员投稿"}[kind]
    return f"{village.name}·{label}"


def _site_root() -> Page:
    """The default site's root page, creating the tree's root, locale and site if a database
    was emptied (Wagtail creates them in its migrations only)."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    if not Locale.objects.exists():
        Locale.objects.create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.get_children().first()
    if home is None:
        home = root.add_child(instance=Page(title="村治", slug="home"))
    site = Site.objects.create(
        hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="村治"
    )
    return site.root_page


def site_name_for(villages) -> str:
    """村治, with the village or township when the installation serves only one."""
    villages = list(villages)
    townships = {v.township_id: v.township for v in villages}
    if len(villages) == 1:
        return f"村治 · {villages[0].township.name}{villages[0].name}"
    if len(townships) == 1:
        return f"村治 · {next(iter(townships.values())).name}"
    return "村治"


def site_name_update() -> None:
    """Name the default site for people (the admin's dashboard shows it), not "localhost".

    A name someone chose in the admin stays; the ones this code gives follow the villages."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    if site.site_name and site.site_name != site.hostname and not site.site_name.startswith("村治"):
        return
    name = site_name_for(Village.objects.filter(home_page__isnull=False).select_related("township"))
    if site.site_name != name:
        site.site_name = name
        site.save(update_fields=["site_name"])


def _grant_pages(group: Group, page: Page, permissions: list[str]) -> None:
    for codename in permissions:
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=f"{codename}_page"
        )
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)


def _grant_images(group: Group, collection: Collection) -> None:
    for codename in ("add_image", "change_image", "choose_image"):
        permission = Permission.objects.get(
            content_type__app_label="wagtailimages", codename=codename
        )
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )


@transaction.atomic
def village_site_setup(*, actor, village: Village, title: str | None = None) -> VillageHomePage:
    """Create the village's home page and sections, its editor groups with page permissions on
    that subtree only, an image collection, and the notice moderation workflow. Idempotent."""
    if actor is not SYSTEM and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("只有系统管理员可以为村开通网站。"))
    home = VillageHomePage.objects.filter(village=village).first()
    if home is None:
        home = VillageHomePage(
            title=title or village.name,
            slug=village.code,
            village=village,
            seo_title=f"{village.name} · 村务公开",
        )
        _site_root().add_child(instance=home)
        home.save_revision().publish()
        for model, title_, slug in (
            (NoticeIndexPage, _("通知公告"), "notices"),
            (RulesPage, _("村规民约"), "rules"),
            (MoralModelIndexPage, _("道德模范"), "models"),
            (TransparencyPage, _("村务公开栏"), "board"),
            (PowerListPage, _("小微权力清单"), "powers"),
        ):
            page = model(title=str(title_), slug=slug)
            if model is RulesPage:
                page.chapters = []
            if model is PowerListPage:
                page.powers = []
            home.add_child(instance=page)
            page.save_revision().publish()
    editors, _c = Group.objects.get_or_create(name=group_name(village, EDITORS))
    moderators, _c = Group.objects.get_or_create(name=group_name(village, MODERATORS))
    drafters, _c = Group.objects.get_or_create(name=group_name(village, DRAFTERS))
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for group in (editors, moderators, drafters):
        group.permissions.add(access)
    _grant_pages(editors, home, ["add", "change", "publish"])
    _grant_pages(moderators, home, ["add", "change", "publish"])
    notices = NoticeIndexPage.objects.child_of(home).first()
    _grant_pages(drafters, notices, ["add", "change"])
    root_collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    collection = root_collection.get_children().filter(name=village.name).first()
    if collection is None:
        collection = root_collection.add_child(name=village.name)
    for group in (editors, moderators, drafters):
        _grant_images(group, collection)
    workflow_name = f"{village.name}·通知审核"
    workflow = Workflow.objects.filter(name=workflow_name).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=workflow_name)
        task = GroupApprovalTask.objects.create(name=f"{village.name}·书记审核")
        task.groups.set([moderators])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=notices, defaults={"workflow": workflow})
    site_name_update()
    audit.record(
        actor=actor,
        action="pages.site.setup",
        obj=village,
        village=village,
        payload={"home_page": home.pk, "groups": [editors.name, moderators.name, drafters.name]},
    )
    for membership in (
        Membership.objects.valid_on(timezone.localdate())
        .filter(village=village, villager__user__isnull=False)
        .select_related("villager__user")
    ):
        sync_user_groups(membership.villager.user)
    return home


ROLE_GROUPS = {
    VillageRole.SECRETARY: (EDITORS, MODERATORS),
    VillageRole.BRANCH_COMMITTEE: (EDITORS,),
    VillageRole.VILLAGE_COMMITTEE: (EDITORS,),
    VillageRole.GRID_OFFICER: (DRAFTERS,),
}


def sync_user_groups(user) -> None:
    """Wagtail's page permissions are group-based: derive a user's village editor groups from
    the roles they hold today (called whenever roles change)."""
    wanted, managed = set(), set()
    today = timezone.localdate()
    for village in Village.objects.filter(home_page__isnull=False):
        for kind in (EDITORS, MODERATORS, DRAFTERS):
            managed.add(group_name(village, kind))
    for membership in (
        Membership.objects.valid_on(today).filter(villager__user=user).select_related("village")
    ):
        for kind in ROLE_GROUPS.get(membership.role, ()):
            wanted.add(group_name(membership.village, kind))
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    if current != wanted & managed:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        user.groups.add(*Group.objects.filter(name__in=wanted & managed))


@transaction.atomic
def notice_mark_read(*, actor, notice: NoticePage) -> NoticeRead:
    """已读: the villager confirms — or a 亲情账号 for its household, in the head's name and
    marked as the proxy's; a second confirmation changes nothing."""
    village = selectors.village_of_page(notice)
    villager, proxy = (None, None) if village is None else addressed_reader(actor, notice, village)
    if villager is None:
        raise PermissionDenied(_("这条通知不是发给您的。"))
    if not notice.live:
        raise ValidationError(_("这条通知已撤下。"))
    existing = NoticeRead.objects.filter(notice=notice, villager=villager).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            read = NoticeRead.objects.create(
                notice=notice,
                villager=villager,
                household_id=villager.household_id,
                user=user_of(actor),
                proxy=proxy,
            )
    except IntegrityError:
        return NoticeRead.objects.get(notice=notice, villager=villager)
    # Its message in 我的消息 is read too: the villager has seen more than the message.
    Delivery.objects.filter(
        notification__village=village,
        notification__key=f"notice:{notice.pk}",
        channel=Channel.INBOX,
        user=read.user,
        read_at__isnull=True,
    ).update(read_at=read.read_at)
    audit.record(
        actor=actor,
        action="pages.notice.read",
        obj=notice,
        village=village,
        payload={
            "villager": villager.pk,
            "household": villager.household_id,
            **proxy_mark(proxy),
        },
    )
    return read


def _answers_parsed(questions: list, answers: dict) -> list[dict]:
    """Every question answered, each as its kind wants; errors keyed by question id."""
    given = {str(k): v for k, v in (answers or {}).items()}
    unknown = set(given) - {str(q.pk) for q in questions}
    if unknown:
        raise ValidationError(_("这些问题不属于这条通知：%s。") % "、".join(sorted(unknown)))
    parsed, errors = [], {}
    for question in questions:
        try:
            value = question.parse(given.get(str(question.pk)))
        except ValidationError as exc:
            errors[str(question.pk)] = exc.messages
            continue
        parsed.append({"question": question.pk, "text": question.text, "value": value})
    if errors:
        raise ValidationError(errors)
    return parsed


@transaction.atomic
def household_answer(
    *, actor, notice: NoticePage, answers: dict, household: Household | None = None
) -> HouseholdAnswer:
    """户情收集: a household answers the notice's questions once — a member or its 亲情账号
    (no `household`: their own), or the household's officer at the door (`household` named).
    A second answer for the household is refused, and says who answered."""
    village = selectors.village_of_page(notice)
    if village is None:
        raise PermissionDenied(_("这条通知不是发给您的。"))
    villager, proxy = addressed_reader(actor, notice, village)
    own = villager.household if villager is not None else None
    if household is None or (own is not None and household.pk == own.pk):
        if own is None:
            raise PermissionDenied(_("这条通知不是发给您的。"))
        household, way = own, (AnswerWay.PROXY if proxy else AnswerWay.MEMBER)
    else:
        if household.village_id != village.pk or not officers.may_act_for(actor, household):
            raise PermissionDenied(_("只能为您负责片区的户代答。"))
        villager, proxy, way = None, None, AnswerWay.AT_DOOR
    if not notice.live:
        raise ValidationError(_("这条通知已撤下。"))
    questions = list(notice.questions.all())
    if not questions:
        raise ValidationError(_("这条通知没有需要回答的问题。"))
    if not selectors.audience_households(notice, village).filter(pk=household.pk).exists():
        raise ValidationError(_("这户不在本通知的发送范围内。"))
    parsed = _answers_parsed(questions, answers)
    try:
        with transaction.atomic():
            answer = HouseholdAnswer.objects.create(
                notice=notice,
                household=household,
                answers=parsed,
                way=way,
                villager=villager,
                proxy=proxy,
                answered_by=user_of(actor),
            )
    except IntegrityError:
        first = HouseholdAnswer.objects.get(notice=notice, household=household)
        raise ValidationError(
            _("%(number)s 户已于 %(at)s 回答过（%(way)s），每户只答一次。")
            % {
                "number": household.number,
                "at": timezone.localtime(first.answered_at).strftime("%Y-%m-%d %H:%M"),
                "way": first.get_way_display(),
            },
            code="answered",
        ) from None
    key_id, digest = answers_digest(parsed)
    audit.record(
        actor=actor,
        action="pages.notice.answer",
        obj=notice,
        village=village,
        # The answers stay with the cadres: the chain (which inspectors read) holds their keyed
        # fingerprint, so a changed answer no longer matches its event.
        payload={
            "household": household.pk,
            "way": way,
            "answers_hmac": digest,
            "key": key_id,
            **proxy_mark(proxy),
        },
    )
    return answer


@transaction.atomic
def notice_tell(
    *, actor, notice: NoticePage, household: Household, channel: str, note: str = ""
) -> tuple[NoticeTold, bool]:
    """已当面告知 / 电话告知 / 大喇叭已播 / 微信群: a household told of the notice by a person.
    The household's area officer, or a cadre for any household; once per household and
    channel (the same record again returns the first, and False)."""
    village = selectors.village_of_page(notice)
    if village is None or household.village_id != village.pk:
        raise PermissionDenied(_("这户不在本通知的村。"))
    if not officers.may_act_for(actor, household):
        raise PermissionDenied(_("只能为您负责片区的户登记告知。"))
    if channel not in ToldChannel.values:
        raise ValidationError(
            _("告知方式应为：%s。")
            % "、".join(f"{v}（{label}）" for v, label in ToldChannel.choices)
        )
    if not notice.live:
        raise ValidationError(_("这条通知已撤下。"))
    if not selectors.audience_households(notice, village).filter(pk=household.pk).exists():
        raise ValidationError(_("这条通知不是发给这户的。"))
    note = " ".join((note or "").split())
    if len(note) > 200:
        raise ValidationError(_("备注不能超过200字。"))
    existing = NoticeTold.objects.filter(notice=notice, household=household, channel=channel)
    found = existing.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            told = NoticeTold.objects.create(
                notice=notice,
                household=household,
                channel=channel,
                note=note,
                recorded_by=user_of(actor),
            )
    except IntegrityError:  # recorded at the same moment by another request
        return existing.get(), False
    audit.record(
        actor=actor,
        action="pages.notice.told",
        obj=notice,
        village=village,
        payload={"household": household.pk, "channel": channel, "note": note},
    )
    return told, True


def _named(model, exc: ValidationError) -> list[str]:
    """A model's field errors with each field's name before its message (one line each)."""
    lines = []
    for name, messages in exc.message_dict.items():
        label = "" if name == "__all__" else f"{model._meta.get_field(name).verbose_name}："
        lines += [f"{label}{m}" for m in messages]
    return lines


def _free_slug(index: NoticeIndexPage, title: str) -> str:
    """The title as the address, numbered when the section has it already."""
    base = slugify(title, allow_unicode=True)[:200] or "notice"
    taken = set(index.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _paragraphs(text: str) -> str:
    """Plain text typed on a phone as the rich text Wagtail keeps: a paragraph per line."""
    lines = [escape(line.strip()) for line in text.splitlines() if line.strip()]
    return "".join(f"<p>{line}</p>" for line in lines)


@transaction.atomic
def notice_create(
    *,
    actor,
    village: Village,
    title: str,
    body: str,
    category: str = NoticeCategory.AFFAIRS,
    urgency: str = Urgency.NORMAL,
    audience: str,
    grid_ids: list[int] = (),
    publish_on=None,
    expires_on=None,
    reach_hours: int = 24,
    publish: bool = False,
) -> tuple[NoticePage, str]:
    """A notice written on a phone, as the admin's editor would keep it: the page in the
    village's 通知公告 with a revision by `actor`. `publish` publishes it for those who may
    (the secretary, the committees); a grid officer's goes to the secretary's moderation, as in
    the admin. Returns the page and "published", "in_moderation" or "draft"."""
    home = selectors.home_of(village)
    index = NoticeIndexPage.objects.child_of(home).first() if home is not None else None
    if index is None:
        raise ValidationError(_("本村还没有开通网站。"))
    tester = index.permissions_for_user(actor)
    if not tester.can_add_subpage():
        raise PermissionDenied(_("您不能在本村发布通知。"))
    grids = list(Grid.objects.filter(pk__in=list(grid_ids), village=village))
    if len(grids) != len(set(grid_ids)):
        raise ValidationError(_("所选网格或片区不属于本村。"))
    if audience == Audience.GRIDS and not grids:
        raise ValidationError(_("发送范围为“指定网格或片区”时，请选择网格或片区。"))
    page = NoticePage(
        title=" ".join(title.split()),
        body=_paragraphs(body),
        category=category,
        urgency=urgency,
        audience=audience,
        publish_on=publish_on or timezone.localdate(),
        expires_on=expires_on,
        reach_hours=reach_hours,
        live=False,
        owner=actor,
    )
    page.grids = grids if audience == Audience.GRIDS else []
    if not page.body:
        raise ValidationError(_("请填写通知正文。"))
    page.slug = _free_slug(index, page.title)
    try:
        page.full_clean(exclude=["path", "depth", "url_path", "draft_title"])
    except ValidationError as exc:
        raise ValidationError(_named(NoticePage, exc)) from exc
    index.add_child(instance=page)
    revision = page.save_revision(user=actor, log_action=True)
    if not publish:
        return page, "draft"
    if tester.can_publish_subpage():
        revision.publish(user=actor)
        page.refresh_from_db()
        return page, "published"
    workflow = page.get_workflow()
    if workflow is None:
        raise PermissionDenied(_("您不能直接发布通知，本村也没有审核流程。"))
    workflow.start(page, actor)
    return page, "in_moderation"


def _plain(html: str, limit: int = 120) -> str:
    text = " ".join(strip_tags(html).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notice_announce(*, notice: NoticePage) -> Notification | None:
    """Tell the notice's audience it is out: inbox, push, and a text to households without an
    account (village/services/outbox.py). Once per notice, whoever publishes it again; not for
    a notice already expired. The platform tells (the publishing is logged by Wagtail)."""
    village = selectors.village_of_page(notice)
    if village is None or not notice.live:
        return None
    today = timezone.localdate()
    if notice.expires_on and notice.expires_on < today:
        return None
    send_after = None
    if notice.publish_on and notice.publish_on > today:
        send_after = timezone.make_aware(datetime.combine(notice.publish_on, time(0)))
    return village_services.notification_send(
        actor=SYSTEM,
        village=village,
        key=f"notice:{notice.pk}",
        kind=NotificationKind.NOTICE,
        title=notice.title,
        body=_plain(notice.body),
        # The path: push and SMS put the site's public address before it when they send.
        url=urlsplit(notice.url or "").path,
        urgent=notice.urgency == Urgency.URGENT,
        villagers=selectors.audience_villagers(notice, village),
        send_after=send_after,
        # A notice to households (everyone, areas) reaches their 亲情账号 too; one to party
        # members or representatives is for the person.
        proxies=notice.audience in (Audience.EVERYONE, Audience.GRIDS),
    )


# Off while the demo loader replays notices published days ago (`history_replayed`).
_announcing: ContextVar[bool] = ContextVar("announcing", default=True)


@contextmanager
def history_replayed():
    """Publishing inside this block tells no one: the notices are history being entered, not
    news. The caller tells what should still be told with `notice_announce`."""
    token = _announcing.set(False)
    try:
        yield
    finally:
        _announcing.reset(token)


def notice_published(sender, instance, **kwargs) -> None:
    """Wagtail's page_published, sent inside the publishing transaction."""
    if _announcing.get():
        notice_announce(notice=instance)


def todo_visit_mark(*, user, at=None):
    """Moves the user's "我的待办" mark to `at` (now): the next visit shows what changed since.
    One UPDATE on every visit after the first."""
    at = at or timezone.now()
    if not TodoVisit.objects.filter(user=user).update(seen_at=at):
        try:
            with transaction.atomic():
                TodoVisit.objects.create(user=user, seen_at=at)
        except IntegrityError:  # a second tab made it first
            TodoVisit.objects.filter(user=user).update(seen_at=at)
