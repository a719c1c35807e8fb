"""Checks of a meeting's record before it is saved: the step and a joint meeting's conditions,
the date and the people named, and who attended, was excused and voted. Each raises the
ValidationError the recorder reads."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from village.models import Membership, Villager, VillageRole
from village.uploads import validate_image_upload

from ..models import Body, Choice, Matter, Step


@dataclass
class AttendanceSheet:
    """Who of the should-attend list came, who was excused (with the reason) and how each
    person present voted — as checked by `validate_attendance`."""

    present_ids: set[int]
    exemptions: dict[int, str]
    votes: dict[int, str]


def one_shoulder(*, matter: Matter, held_on: date) -> bool:
    """一肩挑: the party secretary also sits on the village committee on that date."""
    valid = Membership.objects.valid_on(held_on).filter(village=matter.village)
    secretaries = valid.filter(role=VillageRole.SECRETARY).values_list("villager_id", flat=True)
    return valid.filter(
        role=VillageRole.VILLAGE_COMMITTEE, villager_id__in=list(secretaries)
    ).exists()


def validate_step(*, matter: Matter, step: int, held_on: date, joint: bool) -> None:
    """The matter is at a step whose meeting may be recorded; a joint meeting is allowed."""
    if not matter.can_record_step(step):
        raise ValidationError(
            _("当前状态（%(s)s，第 %(n)d 步）不能记录这一步的会议。")
            % {"s": matter.get_status_display(), "n": step}
        )
    if not joint:
        return
    if step != Step.BRANCH:
        raise ValidationError(_("只有党支部提议可以与两委商议合并召开。"))
    if not matter.village.rules_on(held_on).allow_joint_branch_committees:
        raise ValidationError(_("本村议事规则不允许合并召开。"))
    if not one_shoulder(matter=matter, held_on=held_on):
        raise ValidationError(_("本村书记不兼任村委会成员（非“一肩挑”），不能合并召开。"))


def validate_meeting(*, matter: Matter, held_on, chair, recorder, register_photo) -> None:
    """The date (set, not in the future, not before the previous step's), the chair and the
    recorder (villagers of this village) and the register's photo."""
    if held_on is None:
        raise ValidationError(_("请填写会议日期。"))
    if held_on > timezone.localdate():
        raise ValidationError(_("会议日期不能晚于今天。"))
    last = matter.meetings.filter(version__number=matter.version).order_by("-held_on").first()
    if last and held_on < last.held_on:
        raise ValidationError(
            _("会议日期不能早于上一步骤的会议日期（%s）。") % last.held_on.isoformat()
        )
    for person, label in ((chair, _("主持人")), (recorder, _("记录人"))):
        if person is not None and person.village_id != matter.village_id:
            raise ValidationError(_("%s必须是本村村民。") % label)
    if register_photo:
        validate_image_upload(register_photo)


def validate_attendance(
    *, body: Body, members: list[Villager], present, exemptions, votes
) -> AttendanceSheet:
    """Everyone named is on the should-attend list; only a party members' meeting excuses,
    with a reason, nobody both present and excused; only people present vote, validly."""
    sheet = AttendanceSheet(
        present_ids=set(present or []),
        exemptions={int(k): (v or "").strip() for k, v in (exemptions or {}).items()},
        votes={int(k): v for k, v in (votes or {}).items()},
    )
    if not members:
        raise ValidationError(_("会议日期当天该机构没有成员，请先维护任职或党员信息。"))
    _refuse_strangers(sheet, {m.pk for m in members})
    _validate_exemptions(sheet, body)
    if set(sheet.votes) - sheet.present_ids:
        raise ValidationError(_("只有出席会议的人可以表决。"))
    if any(c not in Choice.values for c in sheet.votes.values()):
        raise ValidationError(_("表决意见只能是赞成、反对或弃权。"))
    return sheet


def _refuse_strangers(sheet: AttendanceSheet, member_ids: set[int]) -> None:
    strangers = (sheet.present_ids | set(sheet.exemptions) | set(sheet.votes)) - member_ids
    if strangers:
        names = ", ".join(Villager.objects.filter(pk__in=strangers).values_list("name", flat=True))
        raise ValidationError(
            _("以下人员不在应到名单中（列席人员请单独登记，不计入人数）：%s") % (names or strangers)
        )


def _validate_exemptions(sheet: AttendanceSheet, body: Body) -> None:
    if body != Body.PARTY_MEMBERS and sheet.exemptions:
        raise ValidationError(_("只有党员大会可以登记经批准的请假。"))
    if sheet.present_ids & set(sheet.exemptions):
        raise ValidationError(_("出席的人不能同时登记请假。"))
    if any(not reason for reason in sheet.exemptions.values()):
        raise ValidationError(_("请假须写明事由和批准情况。"))
