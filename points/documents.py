"""The ledger's papers, each sealed and registered by village.documents: a household's passbook
(户积分存折), the monthly publication list (积分公示表), the welfare allocation list (福利分配表),
the household card (户积分卡) for households without a smartphone, and every household's
passbook of a year, one document each, issued by background tasks (django-tasks) whose
progress drives the admin's progress bar.

Who may print: a household's passbook — its own members, or someone who may view the village's
points ("points.view"); everything else — "points.view" in the village.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from village import documents, permissions
from village.documents import batch as batch_runner
from village.models import (
    BatchStatus,
    Document,
    DocumentBatch,
    DocumentKind,
    Household,
    HouseholdStatus,
    Village,
)
from village.money import rmb_upper, yuan_figure

from . import selectors
from .cards import card_url
from .models import (
    SCORE_KINDS,
    Allocation,
    Entry,
    EntryKind,
    EntryStatus,
    ObjectionStatus,
    Publication,
)
from .permissions import PointsAction

FIRST_YEAR = 2000


# --- permissions ---------------------------------------------------------------------------------


def is_member(actor, household: Household) -> bool:
    """Does `actor` live in `household` (their villager record belongs to it), or act for it as
    its 亲情账号?"""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    roles = permissions.roles_of(actor)
    return household.pk in (roles.household_id, roles.proxy_household_id)


def may_print_statement(actor, household: Household) -> bool:
    return is_member(actor, household) or permissions.can(
        actor, PointsAction.VIEW, household.village
    )


def check_year(year) -> int:
    """A statement's year: a whole number from 2000 to this year."""
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("年度须为整数。"), code="year") from exc
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        raise ValidationError(
            _("年度须在 %(first)s 到 %(last)s 之间。") % {"first": FIRST_YEAR, "last": this_year},
            code="year",
        )
    return year


# --- the passbook --------------------------------------------------------------------------------

# What a passbook line needs of an entry; values, not model instances (the batch reads many).
LINE_FIELDS = ("kind", "points", "occurred_on", "posted_at", "reason", "rule__category__name")


@dataclass(frozen=True)
class Line:
    posted_on: date
    occurred_on: date
    label: str
    reason: str
    points: int
    balance: int


@dataclass
class Statement:
    """One household's year: what was carried in, every posted entry in the order it was
    posted with the running balance, what is left, and the year's conduct score."""

    household: Household
    year: int
    balance: int  # available now (the account's materialised balance)
    carried: int  # posted in earlier years
    lines: list[Line] = field(default_factory=list)
    score: int = 0
    earned: int = 0
    deducted: int = 0
    spent: int = 0

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.carried


KIND_LABELS = dict(EntryKind.choices)
SCORE_KIND_VALUES = {str(k) for k in SCORE_KINDS}


def build_statement(household, year, *, balance, carried, rows) -> Statement:
    """`rows`: dicts of LINE_FIELDS of the household's posted entries of `year`, in posting
    order."""
    statement = Statement(household=household, year=year, balance=balance, carried=carried)
    running = carried
    for row in rows:
        points = row["points"]
        kind = row["kind"]
        running += points
        if kind in SCORE_KIND_VALUES:
            statement.score += points
        if kind == EntryKind.REDEMPTION:
            statement.spent -= points
        elif points > 0 and kind in (EntryKind.CONDUCT, EntryKind.OPENING):
            statement.earned += points
        elif points < 0 and kind == EntryKind.CONDUCT:
            statement.deducted -= points
        statement.lines.append(
            Line(
                posted_on=timezone.localdate(row["posted_at"]) if row["posted_at"] else None,
                occurred_on=row["occurred_on"],
                label=row["rule__category__name"] or str(KIND_LABELS.get(kind, kind)),
                reason=row["reason"],
                points=points,
                balance=running,
            )
        )
    return statement


def _posted_rows(account_id: int, year: int):
    return (
        Entry.objects.filter(account_id=account_id, year=year, status=EntryStatus.POSTED)
        .order_by("posted_at", "pk")
        .values(*LINE_FIELDS)
    )


def statement_of(household: Household, year: int) -> Statement:
    account = selectors.account_of(household)
    if account is None:
        return Statement(household=household, year=year, balance=0, carried=0)
    carried = Entry.objects.filter(
        account=account, status=EntryStatus.POSTED, year__lt=year
    ).aggregate(total=Sum("points"))["total"]
    return build_statement(
        household,
        year,
        balance=account.balance,
        carried=carried or 0,
        rows=_posted_rows(account.pk, year),
    )


def _households():
    return Household.objects.select_related("village__township", "head", "area")


def _statement_issue(actor, household: Household, year: int, *, today: date) -> Document:
    return documents.issue(
        actor=actor,
        village=household.village,
        kind=DocumentKind.POINTS_STATEMENT,
        title=f"{household.number}户{year}年度积分存折",
        subject=household,
        template="points/print/statement.html",
        context={"s": statement_of(household, year), "today": today},
    )


@documents.in_chinese
def statement(actor, household: Household, year: int) -> Document:
    """户积分存折: the household's posted entries of `year` with the running balance."""
    if not may_print_statement(actor, household):
        raise PermissionDenied(_("只能打印本户的积分存折。"))
    year = check_year(year)
    household = _households().get(pk=household.pk)
    return _statement_issue(actor, household, year, today=timezone.localdate())


# --- lists and the card --------------------------------------------------------------------------


@documents.in_chinese
def publication_list(actor, publication: Publication) -> Document:
    """积分公示表: the month's entries, household by household, with the objection window."""
    permissions.require(actor, PointsAction.VIEW, publication.village)
    rows = list(selectors.publication_rows(publication))
    return documents.issue(
        actor=actor,
        village=publication.village,
        kind=DocumentKind.POINTS_LIST,
        title=f"{publication}表",
        subject=publication,
        template="points/print/publication.html",
        context={
            "publication": publication,
            "rows": rows,
            "total": sum(r.points for r in rows),
            "households": len({r.account.household_id for r in rows}),
            "objections": sum(r.open_objections for r in rows),
            "open_status": ObjectionStatus.OPEN,
        },
    )


@documents.in_chinese
def allocation_list(actor, allocation: Allocation) -> Document:
    """福利分配表: every household's share in yuan, summing to the pool, with the rule used."""
    permissions.require(actor, PointsAction.VIEW, allocation.village)
    shares = list(allocation.shares.select_related("household__head").order_by("rank"))
    total = sum(s.amount_fen for s in shares)
    return documents.issue(
        actor=actor,
        village=allocation.village,
        kind=DocumentKind.ALLOCATION,
        title=f"{allocation.title}分配表",
        subject=allocation,
        template="points/print/allocation.html",
        context={
            "allocation": allocation,
            "shares": shares,
            "pool_yuan": yuan_figure(allocation.pool_fen),
            "pool_upper": rmb_upper(allocation.pool_fen),
            "cap_yuan": yuan_figure(allocation.cap_fen),
            "total_yuan": yuan_figure(total),
            "balanced": total == allocation.pool_fen,
            "eligible": sum(1 for s in shares if s.amount_fen),
        },
    )


@documents.in_chinese
def household_card(actor, household: Household) -> Document:
    """户积分卡: the household number, the head, and a large QR for the store counter, the grid
    officer's recording form and the household's own points page."""
    permissions.require(actor, PointsAction.VIEW, household.village)
    household = _households().get(pk=household.pk)
    url = card_url(household)
    return documents.issue(
        actor=actor,
        village=household.village,
        kind=DocumentKind.HOUSEHOLD_CARD,
        title=f"{household.number}户积分卡",
        subject=household,
        template="points/print/card.html",
        context={
            "household": household,
            "card_qr": documents.qr_data_uri(url),
            "card_url": url,
        },
    )


# --- every household's passbook, in the background ---------------------------------------------
#
# One passbook per household, each issued on its own (the same document a cadre prints for one
# household: a secretary hands each household its own), so memory does not grow with the
# village; the households are split into parts that several `db_worker` processes run at once.
# Progress counts households; the secretary downloads the passbooks as one zip, a folder per
# area (片区), for the grid officers who hand them out.


def batch_households(batch: DocumentBatch) -> int:
    return batch.total


def batch_phase(batch: DocumentBatch) -> str:
    """What the run is doing now, in words for the progress page."""
    if batch.status == BatchStatus.QUEUED:
        return _("排队等候后台任务处理")
    if batch.status == BatchStatus.FAILED:
        return _("生成失败")
    if batch.status == BatchStatus.DONE:
        return _("已完成")
    return _("正在整理各户积分：%(done)s / %(n)s 户") % {"done": batch.done, "n": batch.total}


def active_households(village: Village):
    """The households of `village` in the register (one passbook each)."""
    return Household.objects.filter(village=village, status=HouseholdStatus.ACTIVE)


@documents.in_chinese
def batch_passbook(batch: DocumentBatch, household_id: int) -> Document | None:
    """One household's passbook of the batch's year, dated the day the batch was requested (a
    retried part prints the same content, so it gets the document already issued); None when
    the household has left the village's register meanwhile."""
    household = (
        _households()
        .filter(pk=household_id, village=batch.village, status=HouseholdStatus.ACTIVE)
        .first()
    )
    if household is None:
        return None
    year = int(batch.params["year"])
    today = timezone.localdate(batch.requested_at)
    return _statement_issue(batch.requested_by, household, year, today=today)


def statements_part_run(batch_id: int, part: int, household_ids: list[int]) -> int:
    """A task's body: issue the passbooks of one part of the batch's households."""
    return batch_runner.part_run(batch_id, part=part, items=household_ids, issue_one=batch_passbook)


def _zip_safe(name: str) -> str:
    """A name typed by a cadre, as one plain folder or file name inside the zip."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned or "_"


def batch_members(batch: DocumentBatch):
    """(name in the zip, document) of every passbook the batch issued, by area and number."""
    issued = batch_runner.issued(batch)
    households = (
        Household.objects.filter(pk__in=issued)
        .select_related("area")
        .order_by("area__name", "number", "pk")
        .only("pk", "number", "area__name")
    )
    ids = [(h, issued[h.pk]) for h in households]
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        found = Document.objects.in_bulk([document_id for _h, document_id in chunk])
        for household, document_id in chunk:
            document = found[document_id]
            folder = _zip_safe(household.area.name if household.area else "")
            yield f"{folder}/{_zip_safe(document.title)}-{document.code}.pdf", document
