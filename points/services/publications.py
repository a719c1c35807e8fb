"""The monthly publication, objections to it, and posting when its window closes."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from village import audit, permissions
from village import services as village_services
from village.models import NotificationKind, Village, Villager, VillagerStatus
from village.permissions import user_of

from .. import selectors
from ..models import (
    Account,
    Entry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
)
from ..permissions import PointsAction
from .ledger import entries_post


@transaction.atomic
def publication_create(*, actor, village: Village, month: date) -> Publication:
    """Publish every reviewed, unpublished entry of `month` (and earlier) for objections."""
    permissions.require(actor, PointsAction.PUBLISH, village)
    month = selectors.month_start(month)
    today = timezone.localdate()
    if month >= selectors.month_start(today):
        raise ValidationError(_("只能公示已经结束的月份。"), code="month_not_over")
    Village.objects.select_for_update().filter(pk=village.pk).first()
    rows = list(
        Entry.objects.select_for_update()
        .filter(
            village=village,
            status=EntryStatus.REVIEWED,
            publication__isnull=True,
            occurred_on__lt=selectors.next_month(month),
        )
        .order_by("pk")
    )
    if not rows:
        raise ValidationError(_("该月没有待公示的已审核记录。"), code="empty")
    days = village.rules.points_objection_days
    now = timezone.now()
    publication = Publication.objects.create(
        village=village,
        month=month,
        published_at=now,
        published_by=user_of(actor),
        objection_ends_at=now + timedelta(days=days),
    )
    for r in rows:
        r.status = EntryStatus.PUBLISHED
        r.publication = publication
    bulk_update_with_history(rows, Entry, ["status", "publication"], default_user=user_of(actor))
    audit.record(
        actor=actor,
        action="points.publication.create",
        obj=publication,
        village=village,
        payload={
            "month": f"{month:%Y-%m}",
            "entries": [r.pk for r in rows],
            "total": sum(r.points for r in rows),
            "objection_days": days,
            "objection_ends_at": publication.objection_ends_at,
        },
    )
    _publication_tell(actor, publication, rows)
    return publication


def _listed_villagers(publication: Publication):
    """The villagers of the households with entries in the list."""
    households = Account.objects.filter(entries__publication=publication).values("household_id")
    return Villager.objects.filter(village=publication.village, household_id__in=households)


def _publication_tell(actor, publication: Publication, rows: list[Entry]) -> None:
    """Tell the households with entries in the list (their members), through the outbox."""
    households = Account.objects.filter(pk__in={r.account_id for r in rows}).values("household_id")
    village_services.notification_send(
        actor=actor,
        village=publication.village,
        key=f"points-publication:{publication.pk}",
        kind=NotificationKind.POINTS_PUBLISHED,
        title=_("积分公示：%(month)s") % {"month": f"{publication.month:%Y-%m}"},
        body=_("本户有积分记录在这次公示中，如有异议请在 %(end)s 前提出。")
        % {"end": timezone.localtime(publication.objection_ends_at).strftime("%m月%d日 %H:%M")},
        url=reverse("points:home"),
        villagers=Villager.objects.filter(village=publication.village, household_id__in=households),
        proxies=True,
    )


# A list's households are reminded this long before its objection window closes.
REMIND_BEFORE = timedelta(days=1)


def publications_closing_remind(*, now=None) -> int:
    """Each points list whose objection window closes within `REMIND_BEFORE`: one reminder to
    the households with entries in it (and their 亲情账号). Once per list, however often this
    runs. Returns the lists reminded."""
    now = now or timezone.now()
    closing = Publication.objects.filter(
        closed_at__isnull=True,
        objection_ends_at__gt=now,
        objection_ends_at__lte=now + REMIND_BEFORE,
    ).select_related("village")
    for publication in closing:
        village_services.notification_send(
            actor=permissions.SYSTEM,
            village=publication.village,
            key=f"points-closing:{publication.pk}",
            kind=NotificationKind.POINTS_CLOSING,
            title=_("积分公示即将截止：%(month)s") % {"month": f"{publication.month:%Y-%m}"},
            body=_("本户在这次公示中有积分记录，异议 %(end)s 截止；如有异议请尽快提出。")
            % {"end": timezone.localtime(publication.objection_ends_at).strftime("%m月%d日 %H:%M")},
            url=reverse("points:home"),
            villagers=_listed_villagers(publication),
            proxies=True,
        )
    return len(closing)


@transaction.atomic
def objection_file(*, actor, entry: Entry, text: str) -> Objection:
    """A villager of the village objects to an entry while its publication is open; a 亲情账号
    objects in its household's name, to its household's own entries."""
    permissions.require(actor, PointsAction.OBJECT, entry.village)
    villager, proxy = permissions.in_name_of(actor, entry.village)
    if villager is None or villager.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("只有本村在册村民可以提出异议。"))
    if proxy is not None and entry.account.household_id != proxy.household_id:
        raise PermissionDenied(_("亲情账号只能对本户的积分提出异议。"))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请写明异议理由。")})
    if len(text) > 1000:
        raise ValidationError({"text": _("异议理由不能超过 1000 字。")})
    # of=self: the publication is a nullable (outer) join, which PostgreSQL cannot lock.
    entry = (
        Entry.objects.select_for_update(of=("self",)).select_related("publication").get(pk=entry.pk)
    )
    publication = entry.publication
    if entry.status != EntryStatus.PUBLISHED or publication is None:
        raise ValidationError(_("这条积分不在公示中，不能提出异议。"), code="not_published")
    if not publication.is_open:
        raise ValidationError(_("公示期已结束，不能再提出异议。"), code="closed")
    if entry.objections.filter(villager=villager, status=ObjectionStatus.OPEN).exists():
        raise ValidationError(_("您对这条积分的异议还在处理中。"), code="duplicate")
    objection = Objection.objects.create(
        entry=entry, village=entry.village, villager=villager, text=text, proxy=proxy
    )
    audit.record(
        actor=actor,
        action="points.objection.file",
        obj=objection,
        village=entry.village,
        payload={"entry": entry.pk, "text": text, **permissions.proxy_mark(proxy)},
    )
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, upheld: bool, answer: str) -> Objection:
    """The committee answers: upheld voids the entry; rejected lets it post (at once when the
    window has already closed)."""
    permissions.require(actor, PointsAction.ANSWER, objection.village)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复内容。")})
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != ObjectionStatus.OPEN:
        raise ValidationError(_("该异议已经答复过了。"), code="answered")
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("publication")
        .get(pk=objection.entry_id)
    )
    now = timezone.now()
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.answer = answer
    objection.answered_by = user_of(actor)
    objection.answered_at = now
    objection._history_user = user_of(actor)
    objection.save()
    events = [
        audit.Event(
            "points.objection.answer",
            objection,
            {"entry": entry.pk, "upheld": upheld, "answer": answer},
        )
    ]
    if entry.status == EntryStatus.PUBLISHED:
        if upheld:
            entry.status = EntryStatus.VOIDED
            entry._history_user = user_of(actor)
            entry.save()
            events.append(audit.Event("points.entry.void", entry, {"objection": objection.pk}))
        elif entry.publication.closed_at is not None and not _has_open_objection(entry):
            entries_post(entries=[entry], actor=actor, now=now)
            entry._history_user = user_of(actor)
            entry.save()
            events.append(_posted_event(entry))
    audit.record_many(actor=actor, village=objection.village, events=events)
    village_services.notification_send(
        actor=actor,
        village=objection.village,
        key=f"points-objection:{objection.pk}",
        kind=NotificationKind.OBJECTION_ANSWERED,
        title=_("您的积分异议已答复：%(status)s") % {"status": objection.get_status_display()},
        body=answer[:200],
        url=reverse("points:home"),
        villagers=Villager.objects.filter(pk=objection.villager_id),
        # The answer to an objection a 亲情账号 filed reaches it too; a member's own, not.
        proxies=objection.proxy_id is not None,
    )
    return objection


def _has_open_objection(entry: Entry) -> bool:
    return entry.objections.filter(status=ObjectionStatus.OPEN).exists()


def _posted_event(entry: Entry) -> "audit.Event":
    return audit.Event(
        "points.entry.post",
        entry,
        {
            "account": entry.account_id,
            "kind": entry.kind,
            "points": entry.points,
            "reverses": entry.reverses_id,
        },
    )


@transaction.atomic
def publication_close(*, actor, publication: Publication) -> list[Entry]:
    """When the objection window has ended: post every entry with no open objection."""
    permissions.require(actor, PointsAction.PUBLISH, publication.village)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.closed_at is not None:
        raise ValidationError(_("该公示已经入账。"), code="closed")
    now = timezone.now()
    if now < publication.objection_ends_at:
        raise ValidationError(
            _("异议期到 %(end)s 才结束。")
            % {"end": f"{timezone.localtime(publication.objection_ends_at):%Y-%m-%d %H:%M}"},
            code="window_open",
        )
    rows = list(
        Entry.objects.select_for_update(of=("self",))
        .filter(publication=publication, status=EntryStatus.PUBLISHED)
        .exclude(objections__status=ObjectionStatus.OPEN)
        .select_related("account__household")
        .order_by("pk")
    )
    entries_post(entries=rows, actor=actor, now=now)
    bulk_update_with_history(
        rows, Entry, ["status", "posted_at", "points", "reason"], default_user=user_of(actor)
    )
    publication.closed_at = now
    publication._history_user = user_of(actor)
    publication.save()
    audit.record_many(
        actor=actor,
        village=publication.village,
        events=[
            audit.Event(
                "points.publication.close",
                publication,
                {"posted": len(rows), "total": sum(r.points for r in rows)},
            ),
            *[_posted_event(r) for r in rows],
        ],
    )
    return rows
