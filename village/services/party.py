"""Writes of 三亮 and 党建+N: a member's or cadre's card on the board, yearly commitments and the
branch's note of their fulfilment, 包联 assignments, visit notes. Nothing here deletes: a
commitment is withdrawn, an assignment ended (village migration 0016 refuses deletes)."""

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import (
    Commitment,
    CommitmentSet,
    Fulfilment,
    Grid,
    GridLevel,
    Household,
    HouseholdStatus,
    PartyCard,
    PartyLink,
    Village,
    Villager,
    VillagerStatus,
    VisitNote,
)
from ..party_selectors import MEMBERS, link_covering, on_board
from ..permissions import SYSTEM, Action, require, user_of, villager_of
from ..uploads import validate_image_upload

OFFICE_PHONE_RE = re.compile(r"^[0-9][0-9-]{6,19}$")
MAX_COMMITMENTS = 10


def _own(actor, villager: Villager) -> bool:
    mine = villager_of(actor)
    return mine is not None and mine.pk == villager.pk


# --- cards ----------------------------------------------------------------------------------


def _card_fields(card: PartyCard, changes: dict) -> dict:
    diff = {}
    for name in ("office_hours", "office_phone", "show_office_phone", "show_photo"):
        if name in changes and changes[name] is not None and changes[name] != getattr(card, name):
            diff[name] = changes[name]
            setattr(card, name, changes[name])
    return diff


def _check_card(card: PartyCard) -> None:
    card.office_hours = card.office_hours.strip()
    card.office_phone = card.office_phone.strip()
    if card.office_phone and not OFFICE_PHONE_RE.match(card.office_phone):
        raise ValidationError({"office_phone": _("办公电话只能填数字和“-”，7到20位。")})
    if card.show_office_phone and not card.office_phone:
        raise ValidationError({"show_office_phone": _("请先填写办公电话，再选择公开。")})
    if card.show_photo and not card.photo:
        raise ValidationError({"show_photo": _("请先上传照片，再选择公开。")})


@transaction.atomic
def party_card_update(*, actor, villager: Villager, photo=None, **changes) -> PartyCard:
    """The person edits their own card; the secretary any card of the village. `changes`:
    office_hours, office_phone, show_office_phone, show_photo (None leaves a field alone)."""
    if not _own(actor, villager):
        require(actor, Action.PARTY_CARD_EDIT, villager.village)
    if not on_board(villager, timezone.localdate()):
        raise ValidationError(_("只有党员和村干部有亮身份名片。"))
    if photo is not None:
        validate_image_upload(photo)
    card = PartyCard.objects.select_for_update().filter(villager=villager).first()
    if card is None:
        card = PartyCard(village_id=villager.village_id, villager=villager)
    diff = _card_fields(card, changes)
    if photo is not None:
        card.photo.save(photo.name, photo, save=False)
        diff["photo"] = "new"
    _check_card(card)
    if not diff and card.pk:
        return card
    card.updated_at = timezone.now()
    card.updated_by = user_of(actor)
    card.full_clean()
    card.save()
    audit.record(actor=actor, action="village.party.card", obj=card, payload=diff)
    return card


# --- commitments (亮承诺) -------------------------------------------------------------------


def _member_of(actor) -> Villager:
    villager = villager_of(actor)
    if (
        villager is None
        or villager.status != VillagerStatus.REGISTERED
        or villager.party_membership not in MEMBERS
    ):
        raise PermissionDenied(_("只有本村党员可以填写承诺。"))
    return villager


def _open_set(commitment: Commitment, actor) -> CommitmentSet:
    commitment_set = CommitmentSet.objects.select_for_update().get(pk=commitment.commitment_set_id)
    if not _own(actor, commitment_set.member):
        raise PermissionDenied(_("只能修改自己的承诺。"))
    if commitment_set.is_noted:
        raise ValidationError(_("支部已评议这一年的承诺，不能再修改。"))
    return commitment_set


@transaction.atomic
def commitment_add(*, actor, year: int, text: str) -> Commitment:
    """A party member adds an item to their commitments of `year` (this year or the next)."""
    member = _member_of(actor)
    this_year = timezone.localdate().year
    if year not in (this_year, this_year + 1):
        raise ValidationError({"year": _("只能填写今年或明年的承诺。")})
    commitment_set, _created = CommitmentSet.objects.select_for_update().get_or_create(
        member=member, year=year, defaults={"village_id": member.village_id}
    )
    if commitment_set.is_noted:
        raise ValidationError(_("支部已评议这一年的承诺，不能再修改。"))
    if commitment_set.items.filter(withdrawn_at__isnull=True).count() >= MAX_COMMITMENTS:
        raise ValidationError(_("每年最多 %(n)d 条承诺。") % {"n": MAX_COMMITMENTS})
    item = Commitment(commitment_set=commitment_set, text=(text or "").strip())
    item.full_clean()
    item.save()
    audit.record(
        actor=actor,
        action="village.party.commitment.add",
        obj=item,
        village=member.village,
        payload={"year": year, "text": item.text, "set": commitment_set.pk},
    )
    return item


@transaction.atomic
def commitment_update(*, actor, commitment: Commitment, text: str) -> Commitment:
    commitment_set = _open_set(commitment, actor)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.withdrawn_at is not None:
        raise ValidationError(_("这条承诺已撤回。"))
    before = commitment.text
    commitment.text = (text or "").strip()
    commitment.full_clean()
    if commitment.text == before:
        return commitment
    commitment.save()
    audit.record(
        actor=actor,
        action="village.party.commitment.update",
        obj=commitment,
        village=commitment_set.village,
        payload={"year": commitment_set.year, "before": before, "text": commitment.text},
    )
    return commitment


@transaction.atomic
def commitment_withdraw(*, actor, commitment: Commitment, reason: str) -> Commitment:
    """Withdrawn, never deleted: the board shows it struck through, with the reason."""
    commitment_set = _open_set(commitment, actor)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明撤回的原因。")})
    if commitment.withdrawn_at is not None:
        raise ValidationError(_("这条承诺已撤回。"))
    commitment.withdrawn_at = timezone.now()
    commitment.withdrawn_reason = reason
    commitment.full_clean()
    commitment.save()
    audit.record(
        actor=actor,
        action="village.party.commitment.withdraw",
        obj=commitment,
        village=commitment_set.village,
        payload={"year": commitment_set.year, "reason": reason},
    )
    return commitment


@transaction.atomic
def commitment_fulfilment_note(
    *, actor, commitment_set: CommitmentSet, fulfilment: str, note: str
) -> CommitmentSet:
    """The branch's note of fulfilment, at year end (from December of the year on)."""
    require(actor, Action.PARTY_FULFILMENT, commitment_set.village)
    commitment_set = CommitmentSet.objects.select_for_update().get(pk=commitment_set.pk)
    today = timezone.localdate()
    if (today.year, today.month) < (commitment_set.year, 12):
        raise ValidationError(_("年底（12月起）才能评议当年承诺的兑现情况。"))
    if fulfilment not in Fulfilment.values:
        raise ValidationError({"fulfilment": _("请选择兑现情况。")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"fulfilment_note": _("请填写支部评议。")})
    before = {"fulfilment": commitment_set.fulfilment, "note": commitment_set.fulfilment_note}
    commitment_set.fulfilment = fulfilment
    commitment_set.fulfilment_note = note
    commitment_set.noted_at = timezone.now()
    commitment_set.noted_by = user_of(actor)
    commitment_set.full_clean()
    commitment_set.save()
    audit.record(
        actor=actor,
        action="village.party.commitment.fulfilment",
        obj=commitment_set,
        payload={
            "member": commitment_set.member_id,
            "year": commitment_set.year,
            "fulfilment": fulfilment,
            "note": note,
            "before": before if before["fulfilment"] else None,
        },
    )
    return commitment_set


# --- 包联 ------------------------------------------------------------------------------------


def _check_link_target(village: Village, household: Household | None, area: Grid | None):
    if (household is None) == (area is None):
        raise ValidationError(_("请选择包联的一户或一个片区（二选一）。"))
    if household is not None and (
        household.village_id != village.pk or household.status != HouseholdStatus.ACTIVE
    ):
        raise ValidationError({"household": _("请选择本村在册的户。")})
    if area is not None and (area.village_id != village.pk or area.level != GridLevel.AREA):
        raise ValidationError({"area": _("请选择本村的一个片区。")})


@transaction.atomic
def party_link_create(
    *,
    actor,
    village: Village,
    member: Villager,
    start: date,
    household: Household | None = None,
    area: Grid | None = None,
    end: date | None = None,
    note: str = "",
) -> PartyLink:
    """The secretary assigns a member or cadre to a household or an area (党建+N)."""
    require(actor, Action.PARTY_LINK_MANAGE, village)
    if member.village_id != village.pk or not on_board(member, start):
        raise ValidationError({"member": _("包联人必须是本村党员或村干部。")})
    _check_link_target(village, household, area)
    if end is not None and end < start:
        raise ValidationError({"end": _("包联止日期不能早于起始日期。")})
    overlapping = (
        PartyLink.objects.filter(member=member, household=household, area=area)
        .exclude(end__lt=start)
        .exclude(start__gt=end or date.max)
    )
    if overlapping.exists():
        raise ValidationError(_("这段时间已有同样的包联。"))
    link = PartyLink(
        village=village,
        member=member,
        household=household,
        area=area,
        start=start,
        end=end,
        note=(note or "").strip(),
        created_by=user_of(actor),
    )
    link.full_clean()
    link.save()
    audit.record(
        actor=actor,
        action="village.party.link.create",
        obj=link,
        payload={
            "member": member.pk,
            "household": household.pk if household else None,
            "area": area.pk if area else None,
            "start": start,
            "end": end,
        },
    )
    return link


@transaction.atomic
def party_link_end(*, actor, link: PartyLink, end: date) -> PartyLink:
    """Ended, never deleted: the visit notes made under it stay with it."""
    require(actor, Action.PARTY_LINK_MANAGE, link.village)
    link = PartyLink.objects.select_for_update().get(pk=link.pk)
    if end < link.start:
        raise ValidationError({"end": _("包联止日期不能早于起始日期。")})
    if link.end is not None and link.end < end:
        raise ValidationError({"end": _("这项包联已于 %(day)s 结束。") % {"day": link.end}})
    before = link.end
    link.end = end
    link.full_clean()
    link.save()
    audit.record(
        actor=actor,
        action="village.party.link.end",
        obj=link,
        payload={"end": end, "before": before},
    )
    return link


# --- visit notes (走访记录) -----------------------------------------------------------------


@transaction.atomic
def visit_note_record(*, actor, household: Household, visited_on: date, text: str) -> VisitNote:
    """The member records a visit to a household they serve on that day."""
    member = villager_of(actor) if actor is not SYSTEM else None
    if member is None or member.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("只有包联这一户的党员可以记录走访。"))
    return visit_note_for(
        actor=actor, member=member, household=household, visited_on=visited_on, text=text
    )


def visit_note_for(
    *, actor, member: Villager, household: Household, visited_on: date, text: str
) -> VisitNote:
    """A visit note by `member` (the acting member, or — for the demo — the system naming one)."""
    if actor is not SYSTEM and not _own(actor, member):
        raise PermissionDenied(_("只有包联这一户的党员可以记录走访。"))
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("走访日期不能晚于今天。")})
    link = link_covering(member, household, visited_on)
    if link is None:
        raise PermissionDenied(_("您在这一天没有包联这一户。"))
    text = (text or "").strip()
    note = VisitNote(
        village_id=household.village_id,
        link=link,
        member=member,
        household=household,
        visited_on=visited_on,
        text=text,
        created_by=user_of(actor),
    )
    note.full_clean()
    note.save()
    audit.record(
        actor=actor,
        action="village.party.visit",
        obj=note,
        village=household.village,
        # The text stays with the note (the secretary reads it there), not in the chain.
        payload={"member": member.pk, "household": household.pk, "visited_on": visited_on},
    )
    return note
