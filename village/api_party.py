"""党员亮身份 in the API: the public board of a village; a member's card, commitments and visit
notes; the branch's note of fulfilment; 包联 assignments; a household's 包联 members.

A village the user may not see, and anything of it, answers 404; a write the user may not make
answers 403; bad input answers 400 or 422 with a message, nothing half-written."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from . import party_selectors as selectors
from . import permissions, services
from .api_schemas import Message
from .models import Commitment, CommitmentSet, Grid, Household, PartyLink, Village, Villager
from .permissions import Action

router = Router(tags=["party"])


class CommitmentOut(Schema):
    text: str
    withdrawn: bool
    withdrawn_reason: str


class YearOut(Schema):
    year: int
    items: list[CommitmentOut]
    fulfilment: str
    fulfilment_note: str


class BoardEntryOut(Schema):
    villager_id: int
    name: str
    party: str
    party_label: str
    posts: list[str]
    grid: str
    office_hours: str
    office_phone: str
    photo_url: str
    years: list[YearOut]


class BoardOut(Schema):
    village: str
    entries: list[BoardEntryOut]


class CardIn(Schema):
    office_hours: str | None = None
    office_phone: str | None = None
    show_office_phone: bool | None = None
    show_photo: bool | None = None


class CardOut(Schema):
    villager_id: int
    office_hours: str
    office_phone: str
    show_office_phone: bool
    show_photo: bool
    has_photo: bool


class CommitmentIn(Schema):
    year: int
    text: str


class CommitmentTextIn(Schema):
    text: str


class WithdrawIn(Schema):
    reason: str


class CommitmentItemOut(Schema):
    id: int
    text: str
    withdrawn: bool
    withdrawn_reason: str


class CommitmentSetOut(Schema):
    id: int
    member_id: int
    year: int
    items: list[CommitmentItemOut]
    fulfilment: str
    fulfilment_note: str
    noted: bool


class FulfilmentIn(Schema):
    fulfilment: str
    note: str


class LinkIn(Schema):
    member: int
    household: int | None = None
    area: int | None = None
    start: date
    end: date | None = None
    note: str = ""


class LinkEndIn(Schema):
    end: date


class LinkOut(Schema):
    id: int
    member_id: int
    member: str
    household_id: int | None
    household: str | None
    area_id: int | None
    area: str | None
    start: date
    end: date | None
    note: str


class ContactOut(Schema):
    name: str
    party_label: str
    through_area: str
    office_hours: str
    office_phone: str


class VisitIn(Schema):
    household: int
    visited_on: date
    text: str


class VisitOut(Schema):
    id: int
    member_id: int
    member: str
    household_id: int
    household: str
    visited_on: date
    text: str


ERRORS = {400: Message, 401: Message, 403: Message, 404: Message, 422: Message}


def _visible_village(user, village_id) -> Village:
    village = get_object_or_404(Village, pk=village_id)
    if not permissions.can(user, Action.VIEW_VILLAGE, village):
        raise Http404
    return village


def _set_out(s: CommitmentSet) -> dict:
    return {
        "id": s.pk,
        "member_id": s.member_id,
        "year": s.year,
        "items": [
            {
                "id": i.pk,
                "text": i.text,
                "withdrawn": i.withdrawn_at is not None,
                "withdrawn_reason": i.withdrawn_reason,
            }
            for i in s.items.all()
        ],
        "fulfilment": s.fulfilment,
        "fulfilment_note": s.fulfilment_note,
        "noted": s.is_noted,
    }


def _card_out(card) -> dict:
    return {
        "villager_id": card.villager_id,
        "office_hours": card.office_hours,
        "office_phone": card.office_phone,
        "show_office_phone": card.show_office_phone,
        "show_photo": card.show_photo,
        "has_photo": bool(card.photo),
    }


def _link_out(link: PartyLink) -> dict:
    return {
        "id": link.pk,
        "member_id": link.member_id,
        "member": link.member.name,
        "household_id": link.household_id,
        "household": link.household.number if link.household_id else None,
        "area_id": link.area_id,
        "area": link.area.name if link.area_id else None,
        "start": link.start,
        "end": link.end,
        "note": link.note,
    }


def _visit_out(note) -> dict:
    return {
        "id": note.pk,
        "member_id": note.member_id,
        "member": note.member.name,
        "household_id": note.household_id,
        "household": note.household.number,
        "visited_on": note.visited_on,
        "text": note.text,
    }


# --- the board --------------------------------------------------------------------------------


@router.get(
    "/villages/{village_id}/party-board",
    auth=None,
    response={200: BoardOut, 404: Message},
    summary="党员亮身份: the village's public board (what the web page shows)",
)
def party_board(request, village_id: int):
    village = get_object_or_404(Village, pk=village_id)
    entries = selectors.board_of(village, timezone.localdate())
    return {"village": village.name, "entries": entries}


# --- cards ------------------------------------------------------------------------------------


def _card_villager(user, villager_id) -> Villager:
    villager = get_object_or_404(Villager.objects.select_related("village"), pk=villager_id)
    own = permissions.villager_of(user)
    if own is None or own.pk != villager.pk:
        if not permissions.can(user, Action.VIEW_VILLAGE, villager.village):
            raise Http404
    return villager


@router.post("/party/cards/{villager_id}", response={200: CardOut, **ERRORS})
def party_card(request, villager_id: int, payload: CardIn):
    villager = _card_villager(request.user, villager_id)
    card = services.party_card_update(actor=request.user, villager=villager, **payload.dict())
    return _card_out(card)


@router.post("/party/cards/{villager_id}/photo", response={200: CardOut, **ERRORS})
def party_card_photo(request, villager_id: int, photo: File[UploadedFile], show: bool = False):
    villager = _card_villager(request.user, villager_id)
    card = services.party_card_update(
        actor=request.user, villager=villager, photo=photo, show_photo=show
    )
    return _card_out(card)


# --- commitments ------------------------------------------------------------------------------


@router.get("/party/commitments", response={200: list[CommitmentSetOut], **ERRORS})
def my_commitments(request):
    villager = permissions.villager_of(request.user)
    if villager is None:
        raise PermissionDenied(_("只有本村党员可以填写承诺。"))
    return [_set_out(s) for s in selectors.commitment_sets_of(villager)]


@router.post("/party/commitments", response={201: CommitmentItemOut, **ERRORS})
def commitment_add(request, payload: CommitmentIn):
    item = services.commitment_add(actor=request.user, year=payload.year, text=payload.text)
    return 201, {"id": item.pk, "text": item.text, "withdrawn": False, "withdrawn_reason": ""}


def _commitment(user, commitment_id) -> Commitment:
    commitment = get_object_or_404(
        Commitment.objects.select_related("commitment_set__village"), pk=commitment_id
    )
    if not permissions.can(user, Action.VIEW_VILLAGE, commitment.commitment_set.village):
        raise Http404
    return commitment


@router.post("/party/commitments/{commitment_id}", response={200: CommitmentItemOut, **ERRORS})
def commitment_update(request, commitment_id: int, payload: CommitmentTextIn):
    item = services.commitment_update(
        actor=request.user, commitment=_commitment(request.user, commitment_id), text=payload.text
    )
    return {"id": item.pk, "text": item.text, "withdrawn": False, "withdrawn_reason": ""}


@router.post(
    "/party/commitments/{commitment_id}/withdraw", response={200: CommitmentItemOut, **ERRORS}
)
def commitment_withdraw(request, commitment_id: int, payload: WithdrawIn):
    item = services.commitment_withdraw(
        actor=request.user,
        commitment=_commitment(request.user, commitment_id),
        reason=payload.reason,
    )
    return {
        "id": item.pk,
        "text": item.text,
        "withdrawn": True,
        "withdrawn_reason": item.withdrawn_reason,
    }


@router.get(
    "/villages/{village_id}/party-commitments", response={200: list[CommitmentSetOut], **ERRORS}
)
def village_commitments(request, village_id: int, year: int | None = None):
    """The year's commitment sets of the village, for the branch's note of fulfilment."""
    village = _visible_village(request.user, village_id)
    permissions.require(request.user, Action.PARTY_FULFILMENT, village)
    year = year or timezone.localdate().year
    return [_set_out(s) for s in selectors.commitment_sets_of_village(village, year)]


@router.post(
    "/party/commitment-sets/{set_id}/fulfilment", response={200: CommitmentSetOut, **ERRORS}
)
def commitment_fulfilment(request, set_id: int, payload: FulfilmentIn):
    found = get_object_or_404(CommitmentSet.objects.select_related("village"), pk=set_id)
    _visible_village(request.user, found.village_id)
    noted = services.commitment_fulfilment_note(
        actor=request.user, commitment_set=found, fulfilment=payload.fulfilment, note=payload.note
    )
    return _set_out(selectors.commitment_sets_of_village(noted.village, noted.year).get(pk=set_id))


# --- 包联 -------------------------------------------------------------------------------------


@router.get("/villages/{village_id}/party-links", response={200: list[LinkOut], **ERRORS})
def party_links(request, village_id: int):
    """The secretary: every assignment of the village; a member: their own."""
    village = _visible_village(request.user, village_id)
    if permissions.can(request.user, Action.PARTY_LINK_MANAGE, village):
        links = selectors.links_of(village)
    else:
        member = permissions.villager_of(request.user)
        if member is None or member.village_id != village.pk:
            raise PermissionDenied(_("您没有权限执行此操作。"))
        links = selectors.links_of(village, member=member)
    return [_link_out(link) for link in links]


def _in_village(model, pk, village, message):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, village=village).first()
    if found is None:
        raise ValidationError(message)
    return found


@router.post("/villages/{village_id}/party-links", response={201: LinkOut, **ERRORS})
def party_link_create(request, village_id: int, payload: LinkIn):
    village = _visible_village(request.user, village_id)
    permissions.require(request.user, Action.PARTY_LINK_MANAGE, village)
    link = services.party_link_create(
        actor=request.user,
        village=village,
        member=_in_village(Villager, payload.member, village, _("包联人必须是本村党员或村干部。")),
        household=_in_village(Household, payload.household, village, _("请选择本村在册的户。")),
        area=_in_village(Grid, payload.area, village, _("请选择本村的一个片区。")),
        start=payload.start,
        end=payload.end,
        note=payload.note,
    )
    return 201, _link_out(link)


@router.post("/party-links/{link_id}/end", response={200: LinkOut, **ERRORS})
def party_link_end(request, link_id: int, payload: LinkEndIn):
    link = get_object_or_404(
        PartyLink.objects.select_related("village", "member", "household", "area"), pk=link_id
    )
    _visible_village(request.user, link.village_id)
    link = services.party_link_end(actor=request.user, link=link, end=payload.end)
    return _link_out(link)


@router.get("/me/party-contacts", response={200: list[ContactOut], **ERRORS})
def my_party_contacts(request):
    """我的包联党员: who serves the user's household, and how to reach them."""
    household = permissions.household_of(request.user)
    if household is None:
        return []
    return selectors.contacts_of(household, timezone.localdate())


# --- visit notes ------------------------------------------------------------------------------


@router.get("/villages/{village_id}/party-visits", response={200: list[VisitOut], **ERRORS})
def party_visits(request, village_id: int):
    """The secretary reads every visit note of the village; a member their own."""
    village = _visible_village(request.user, village_id)
    if permissions.can(request.user, Action.PARTY_VISITS_VIEW, village):
        notes = selectors.visits_of(village)
    else:
        member = permissions.villager_of(request.user)
        if member is None or member.village_id != village.pk:
            raise PermissionDenied(_("您没有权限执行此操作。"))
        notes = selectors.visits_of(village, member=member)
    return [_visit_out(n) for n in notes[:500]]


@router.post("/party-visits", response={201: VisitOut, **ERRORS})
def party_visit_create(request, payload: VisitIn):
    household = get_object_or_404(Household.objects.select_related("village"), pk=payload.household)
    _visible_village(request.user, household.village_id)
    note = services.visit_note_record(
        actor=request.user, household=household, visited_on=payload.visited_on, text=payload.text
    )
    return 201, _visit_out(note)
