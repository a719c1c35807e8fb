"""Steps 1–3: the meetings of the branch committee, the two committees and the party members,
recorded after they were held, from the paper record."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from village import permissions
from village.models import Villager
from village.permissions import user_of

from .. import selectors
from ..models import (
    Attendance,
    Ballot,
    Channel,
    Matter,
    MatterStatus,
    MatterVersion,
    Meeting,
    Observer,
    Participation,
    Step,
)
from ..permissions import DeliberationAction
from .attendance import AttendanceSheet, validate_attendance, validate_meeting, validate_step
from .common import MINUTES_REQUIRED, current_version, lock_matter, record
from .counting import meeting_close


@transaction.atomic
def meeting_record(
    *,
    actor,
    matter: Matter,
    held_on: date,
    present: list[int],
    votes: dict[int, str],
    minutes: str = "",
    place: str = "",
    chair: Villager | None = None,
    recorder: Villager | None = None,
    exemptions: dict[int, str] | None = None,
    observers: list[tuple[str, str]] | None = None,
    register_photo=None,
    joint: bool = False,
) -> Meeting:
    """Record the meeting of the current step (1, 2 or 3) with attendance and per-person votes;
    store the verdict; advance the matter, or return it when the step fails."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    step = matter.current_step
    validate_step(matter=matter, step=step, held_on=held_on, joint=joint)
    validate_meeting(
        matter=matter,
        held_on=held_on,
        chair=chair,
        recorder=recorder,
        register_photo=register_photo,
    )
    body = selectors.meeting_body(step, joint=joint)
    members = list(selectors.should_attend(matter=matter, body=body, on=held_on))
    sheet = validate_attendance(
        body=body, members=members, present=present, exemptions=exemptions, votes=votes
    )
    # The meeting is recorded after it was held, from the paper record: its minutes are part
    # of that record, saved with it or not at all (like the vote's minutes at the count).
    if not (minutes or "").strip():
        raise ValidationError(MINUTES_REQUIRED)
    version = current_version(matter=matter)
    meeting = Meeting(
        matter=matter,
        step=step,
        joint=joint,
        version=version,
        body=body,
        held_on=held_on,
        place=place,
        chair=chair,
        recorder=recorder,
        minutes=(minutes or "").strip(),
        recorded_by=user_of(actor),
        recorded_at=timezone.now(),
    )
    if register_photo:
        meeting.register_photo = register_photo
    meeting.full_clean(exclude=["register_photo"])
    meeting.save()
    _save_attendance(meeting, members, sheet, observers, actor=actor, version=version)
    result = meeting_close(
        meeting=meeting, matter=matter, ruleset=matter.village.rules_on(held_on), joint=joint
    )
    if result["passed"]:
        matter.current_step = Step.PARTY if joint else step + 1
        matter.status = MatterStatus.DELIBERATING
    else:
        matter.status = MatterStatus.RETURNED
    matter.save()
    record(
        actor=actor,
        action="deliberation.meeting.record",
        obj=meeting,
        payload={
            "matter": matter.pk,
            "step": step,
            "joint": joint,
            "held_on": held_on,
            "version": version.number,
            "sha256": version.sha256,
            "verdict": result,
            "observers": [n for n, _c in (observers or []) if n],
            "participations": len(sheet.votes),
            "ballots_sha256": selectors.ballots_sha256(meeting),
        },
        matter=matter,
    )
    if not result["passed"]:
        record(
            actor=actor,
            action="deliberation.matter.return",
            obj=matter,
            payload={"step": step, "reason": result["explanation"]},
            matter=matter,
        )
    return meeting


def _save_attendance(
    meeting: Meeting,
    members: list[Villager],
    sheet: AttendanceSheet,
    observers,
    *,
    actor,
    version: MatterVersion,
) -> None:
    """The meeting's attendance rows, observers, and each hall vote with its ballot."""
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                villager=m,
                present=m.pk in sheet.present_ids,
                exempted=m.pk in sheet.exemptions,
                exemption_reason=sheet.exemptions.get(m.pk, ""),
                household_id=m.household_id,
            )
            for m in members
        ]
    )
    Observer.objects.bulk_create(
        [Observer(meeting=meeting, name=n, capacity=c) for n, c in (observers or []) if n]
    )
    now = timezone.now()
    Participation.objects.bulk_create(
        [
            Participation(
                meeting=meeting,
                voter_id=vid,
                channel=Channel.HALL,
                cast_at=now,
                entered_by=user_of(actor),
            )
            for vid in sheet.votes
        ]
    )
    Ballot.objects.bulk_create(
        [
            Ballot(
                meeting=meeting,
                voter_id=vid,
                choice=choice,
                channel=Channel.HALL,
                text_hash=version.sha256,
            )
            for vid, choice in sheet.votes.items()
        ]
    )
