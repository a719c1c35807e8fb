"""Points endpoints under /api/v1/points/: a villager's own household only (balance, entries,
objections, claims), the rules and the store; the grid officer's recording and the counter."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from village import documents as village_documents
from village import permissions
from village.api import Message
from village.models import Household

from . import audit, documents, selectors, services
from .models import Allocation, Entry, EntryStatus, StoreItem
from .permissions import PointsAction

router = Router(tags=["points"])


class BalanceOut(Schema):
    household: str
    head: str | None
    village: str
    balance: int
    year: int
    year_score: int
    earned: int
    deducted: int
    spent: int


class EntryOut(Schema):
    """Read from an Entry with its rule's category and its publication selected."""

    id: int
    occurred_on: date
    kind: str
    points: int
    status: str
    status_label: str
    reason: str
    rule: str | None
    category: str | None
    photo: str | None
    publication_id: int | None
    objection_ends_at: datetime | None
    can_object: bool

    @staticmethod
    def resolve_status_label(entry: Entry) -> str:
        return str(entry.get_status_display())

    @staticmethod
    def resolve_rule(entry: Entry) -> str | None:
        return entry.rule.code if entry.rule else None

    @staticmethod
    def resolve_category(entry: Entry) -> str | None:
        return entry.rule.category.name if entry.rule else None

    @staticmethod
    def resolve_photo(entry: Entry) -> str | None:
        return entry.photo.url if entry.photo else None

    @staticmethod
    def resolve_objection_ends_at(entry: Entry) -> datetime | None:
        return entry.publication.objection_ends_at if entry.publication else None

    @staticmethod
    def resolve_can_object(entry: Entry) -> bool:
        publication = entry.publication
        return bool(publication and entry.status == EntryStatus.PUBLISHED and publication.is_open)


class ObjectionIn(Schema):
    text: str


class ObjectionOut(Schema):
    id: int
    filed_at: datetime
    status: str


class RuleOut(Schema):
    code: str
    category: str
    text: str
    points: int
    cap_per_period: int | None
    evidence_required: bool
    article: str


class ItemOut(Schema):
    id: int
    name: str
    unit: str
    points_price: int
    stock: int


class EntryIn(Schema):
    rule: str
    occurred_on: date | None = None
    reason: str = ""
    household: str | None = None
    idempotency_key: str | None = None
    # 回避: a cadre recording for their own household says why (the inspector sees it).
    recusal: str = ""


class RedeemIn(Schema):
    household: str
    item: int
    quantity: int = 1
    idempotency_key: str | None = None


class RedemptionOut(Schema):
    receipt: str
    household: str
    item: str
    quantity: int
    points: int
    balance: int
    stock: int


def _own_household(request) -> Household:
    household = permissions.household_of(request.user)
    if household is None:
        raise PermissionDenied(_("只有本村在册村民才有户积分账户。"))
    return household


@router.get("/balance", response={200: BalanceOut, 403: Message})
def balance(request):
    household = _own_household(request)
    account = selectors.account_of(household)
    year = timezone.localdate().year
    summary = selectors.year_summary(household, year)
    return {
        "household": household.number,
        "head": household.head.name if household.head else None,
        "village": household.village.name,
        "balance": account.balance if account else 0,
        "year": year,
        "year_score": selectors.year_scores_of(household, year),
        "earned": summary["earned"],
        "deducted": summary["deducted"],
        "spent": -summary["spent"],
    }


@router.get(
    "/statement.pdf",
    response={400: Message, 403: Message},
    openapi_extra={
        "responses": {
            200: {
                "description": "户积分存折（PDF，盖本村电子印章，附验证码）",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def statement_pdf(request, year: int | None = None):
    """The caller's own household's passbook of `year` (default: this year) as a sealed PDF;
    each download is registered as a new document."""
    household = _own_household(request)
    year = documents.check_year(year if year is not None else timezone.localdate().year)
    return village_documents.response(documents.statement(request.user, household, year))


@router.get("/entries", response={200: list[EntryOut], 403: Message})
@paginate(PageNumberPagination, page_size=50)
def entries(request, year: int | None = None):
    # A queryset: the paginator counts and slices it in the database, one page of rows read.
    return selectors.entries_of(_own_household(request), year=year)


@router.post("/entries", response={201: EntryOut, 400: Message, 403: Message, 404: Message})
def entry_create(request, payload: EntryIn):
    """A villager claims a rule for their own household; a grid officer or cadre records one
    for the household named by `household` (its number)."""
    if payload.household:
        household = _household_by_number(request, payload.household, PointsAction.RECORD)
        claimed = False
    else:
        household = _own_household(request)
        claimed = True
    day = payload.occurred_on or timezone.localdate()
    rule = selectors.rules_on(household.village, day).filter(code=payload.rule).first()
    if rule is None:
        raise Http404
    entry = services.entry_record(
        actor=request.user,
        household=household,
        rule=rule,
        occurred_on=day,
        reason=payload.reason,
        idempotency_key=payload.idempotency_key,
        claimed=claimed,
        recusal=payload.recusal,
    )
    return 201, entry


def _household_by_number(request, number: str, action: PointsAction) -> Household:
    """404 for a household the caller cannot see; 403 when they see it but may not `action`
    (an inspector, a villager naming another household)."""
    villages = permissions.visible_villages(request.user)
    household = Household.objects.filter(village__in=villages, number=number).first()
    if household is None:
        raise Http404
    permissions.require(request.user, action, household.village)
    return household


@router.post(
    "/entries/{entry_id}/objection",
    response={201: ObjectionOut, 400: Message, 403: Message, 404: Message},
)
def objection(request, entry_id: int, payload: ObjectionIn):
    entry = Entry.objects.filter(pk=entry_id).select_related("village").first()
    if entry is None or not permissions.can(
        request.user, permissions.A.VIEW_VILLAGE, entry.village
    ):
        raise Http404
    o = services.objection_file(actor=request.user, entry=entry, text=payload.text)
    return 201, {"id": o.pk, "filed_at": o.filed_at, "status": o.status}


@router.get("/rules", response={200: list[RuleOut], 403: Message})
def rules(request):
    household = _own_household(request)
    return [
        {
            "code": r.code,
            "category": r.category.name,
            "text": r.text,
            "points": r.points,
            "cap_per_period": r.cap_per_period,
            "evidence_required": r.evidence_required,
            "article": r.article,
        }
        for r in selectors.rules_on(household.village, timezone.localdate())
    ]


@router.get("/store", response={200: list[ItemOut], 403: Message})
def store(request):
    household = _own_household(request)
    return list(
        selectors.store_items(household.village).values(
            "id", "name", "unit", "points_price", "stock"
        )
    )


@router.post(
    "/redemptions", response={201: RedemptionOut, 400: Message, 403: Message, 404: Message}
)
def redeem(request, payload: RedeemIn):
    """The store counter: debit a household's points and the item's stock together."""
    household = _household_by_number(request, payload.household, PointsAction.STORE_SERVE)
    item = StoreItem.objects.filter(pk=payload.item, village=household.village).first()
    if item is None:
        raise Http404
    r = services.redeem(
        actor=request.user,
        household=household,
        item=item,
        quantity=payload.quantity,
        idempotency_key=payload.idempotency_key,
    )
    r.account.refresh_from_db(fields=["balance"])
    r.item.refresh_from_db(fields=["stock"])
    return 201, {
        "receipt": r.receipt,
        "household": household.number,
        "item": r.item.name,
        "quantity": r.quantity,
        "points": r.points,
        "balance": r.account.balance,
        "stock": r.item.stock,
    }


# --- welfare lists under a resolution -------------------------------------------------------


class TermOut(Schema):
    label: str
    value: str


class AllocationOut(Schema):
    id: int
    village: str
    title: str
    year: int
    pool_fen: int
    floor: int
    cap_fen: int | None
    state: str
    state_label: str
    published_at: datetime | None
    objection_ends_at: datetime | None
    final_at: datetime | None
    matter: int | None
    resolution_sha256: str
    terms: list[TermOut]
    objections: int
    answered: int


class PublishIn(Schema):
    resolution: int


class ProposedOut(Schema):
    matter: int
    url: str


class AllocationObjectionOut(Schema):
    id: int
    filed_at: datetime


def _allocation(request, allocation_id: int) -> Allocation:
    """An allocation the caller may read: a published one for the village's villagers, a
    draft only for those who oversee points; anything else is 404."""
    alloc = Allocation.objects.filter(pk=allocation_id).select_related("village").first()
    if alloc is None or not selectors.welfare_visible(request.user, alloc.village):
        raise Http404
    if alloc.published_at is None and not permissions.can(
        request.user, PointsAction.VIEW, alloc.village
    ):
        raise Http404
    return alloc


def _allocation_out(alloc: Allocation) -> dict:
    objections = list(alloc.objections.only("allocation_id", "answered_at"))
    state, when = selectors.allocation_state(alloc, objections)
    return {
        "id": alloc.pk,
        "village": alloc.village.name,
        "title": alloc.title,
        "year": alloc.year,
        "pool_fen": alloc.pool_fen,
        "floor": alloc.floor,
        "cap_fen": alloc.cap_fen,
        "state": state,
        "state_label": str(selectors.LIST_STATES[state]),
        "published_at": alloc.published_at,
        "objection_ends_at": alloc.objection_ends_at,
        "final_at": when if state == selectors.ListState.FINAL else None,
        "matter": alloc.matter_ref,
        "resolution_sha256": alloc.resolution_sha256,
        "terms": [
            {"label": label, "value": value} for label, value in selectors.allocation_terms(alloc)
        ],
        "objections": len(objections),
        "answered": sum(1 for o in objections if o.answered_at),
    }


@router.get("/allocations/{allocation_id}", response={200: AllocationOut, 404: Message})
def allocation(request, allocation_id: int):
    """A welfare allocation: its terms and list fingerprint (what the deciding resolution must
    quote), the resolution it was published under, and its objection window."""
    return _allocation_out(_allocation(request, allocation_id))


@router.post(
    "/allocations/{allocation_id}/propose",
    response={201: ProposedOut, 400: Message, 403: Message, 404: Message},
)
def allocation_propose(request, allocation_id: int):
    """Open the matter (集体经济所得收益使用) whose text carries the draft's terms."""
    alloc = _allocation(request, allocation_id)
    ref, url = services.allocation_propose(actor=request.user, allocation=alloc)
    return 201, {"matter": ref, "url": url}


@router.post(
    "/allocations/{allocation_id}/publish",
    response={200: AllocationOut, 400: Message, 403: Message, 404: Message},
)
def allocation_publish(request, allocation_id: int, payload: PublishIn):
    """Publish the list under the settled resolution `resolution` (a matter's id) whose frozen
    text carries exactly its terms; a mismatch is a 400 naming what differs."""
    alloc = _allocation(request, allocation_id)
    alloc = services.allocation_publish(
        actor=request.user, allocation=alloc, resolution=payload.resolution
    )
    return _allocation_out(alloc)


@router.post(
    "/allocations/{allocation_id}/objections",
    response={201: AllocationObjectionOut, 400: Message, 403: Message, 404: Message},
)
def allocation_objection(request, allocation_id: int, payload: ObjectionIn):
    alloc = _allocation(request, allocation_id)
    o = services.allocation_object(actor=request.user, allocation=alloc, text=payload.text)
    return 201, {"id": o.pk, "filed_at": o.filed_at}


# --- the inspector's view of points and welfare -------------------------------------------------


class WelfareFlagOut(Schema):
    code: str
    label: str
    ok: bool
    reason: str
    subject: str


class PointsAuditOut(Schema):
    village: str
    flags: list[WelfareFlagOut]
    red_flags: int


@router.get("/audit", response={200: PointsAuditOut, 403: Message, 404: Message})
def points_audit(request, village: int):
    """The village's points and welfare findings (回避, 分配未经决议, cadre households'
    concentration, the supervision committee's disputes, unanswered allocation objections),
    each with its reason: for its cadres, supervision committee and the township's inspector."""
    found = permissions.visible_villages(request.user).filter(pk=village).first()
    if found is None:
        raise Http404
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, found)
    permissions.require(request.user, PointsAction.VIEW, found)
    flags = audit.welfare_flags(found)
    return {
        "village": found.name,
        "flags": [f.as_dict() for f in flags],
        "red_flags": sum(1 for f in flags if not f.ok),
    }
