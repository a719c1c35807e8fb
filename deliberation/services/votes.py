"""Step 4, the vote: open it (text frozen), a villager's online vote, the box of a secret
vote opened at the count, and the count itself. The hall's votes: `hall`."""

import secrets
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village.models import Villager
from village.permissions import user_of
from village.uploads import validate_image_upload

from .. import ballot_box, recount, selectors
from ..models import (
    Attendance,
    Ballot,
    BallotMode,
    Body,
    Channel,
    Choice,
    DecidingBody,
    Matter,
    MatterStatus,
    Meeting,
    MeetingStatus,
    Participation,
    SealedBallot,
    Step,
)
from ..permissions import DeliberationAction
from .common import current_version, lock_matter, new_receipt, record, registered_villager
from .counting import meeting_close
from .reminders import vote_opened_tell


def _localtime(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def matter_open_vote(
    *,
    actor,
    matter: Matter,
    held_on: date,
    opens_at: datetime,
    closes_at: datetime,
    place: str = "",
    chair: Villager | None = None,
    recorder: Villager | None = None,
) -> Meeting:
    """Freeze the text (SHA-256), snapshot who may vote, open the online window."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_open_vote():
        raise ValidationError(_("只有通过党员大会审议的议题才能交付村民（代表）会议表决。"))
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise ValidationError(_("投票截止时间必须晚于开始时间。"))
    if closes_at <= timezone.now():
        raise ValidationError(_("投票截止时间必须晚于现在。"))
    if held_on is None:
        raise ValidationError(_("请填写会议日期。"))
    window = (timezone.localdate(opens_at), timezone.localdate(closes_at))
    if not window[0] <= held_on <= window[1]:
        # The meeting's day decides which rule set judges it: it is a day of its own window.
        raise ValidationError(
            _("会议日期须在投票时间之内（%(a)s 至 %(b)s）。") % {"a": window[0], "b": window[1]}
        )
    last = matter.meetings.filter(version__number=matter.version).order_by("-held_on").first()
    if last and held_on < last.held_on:
        raise ValidationError(_("会议日期不能早于上一步骤的会议日期（%s）。") % last.held_on)
    body = (
        Body.VILLAGERS
        if matter.deciding_body == DecidingBody.VILLAGERS_MEETING
        else Body.REPRESENTATIVES
    )
    members = list(selectors.should_attend(matter=matter, body=body, on=held_on))
    if not members:
        raise ValidationError(_("没有有表决权的人员。"))
    version = current_version(matter=matter)
    meeting = Meeting(
        matter=matter,
        step=Step.RESOLUTION,
        version=version,
        body=body,
        held_on=held_on,
        place=place,
        chair=chair,
        recorder=recorder,
        frozen_hash=version.sha256,
        vote_opens_at=opens_at,
        vote_closes_at=closes_at,
        should_attend=len(members),
        recorded_by=user_of(actor),
        recorded_at=timezone.now(),
    )
    meeting.full_clean(exclude=["register_photo"])
    meeting.save()
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, villager=m, household_id=m.household_id) for m in members],
        batch_size=500,
    )
    matter.status = MatterStatus.VOTING
    matter.current_step = Step.RESOLUTION
    matter.frozen_hash = version.sha256
    matter.frozen_at = timezone.now()
    matter.save()
    record(
        actor=actor,
        action="deliberation.vote.open",
        obj=meeting,
        payload={
            "matter": matter.pk,
            "frozen_sha256": version.sha256,
            "version": version.number,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "should_attend": len(members),
            "attendance_sha256": recount.digest_ids(m.pk for m in members),
            "body": body,
        },
        matter=matter,
    )
    vote_opened_tell(actor=actor, meeting=meeting)
    return meeting


def _lock_vote_meeting(matter: Matter) -> Meeting | None:
    # One row: no default ordering's joins.
    found = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("matter__village")
        .filter(matter_id=matter.pk, step=Step.RESOLUTION, version__number=F("matter__version"))
        .order_by()[:1]
    )
    return found[0] if found else None


def _check_may_cast(meeting: Meeting | None, voter: Villager, now: datetime) -> None:
    if meeting is None or not meeting.matter.can_vote():
        raise ValidationError(_("该议题当前不在表决期。"))
    if not (meeting.vote_opens_at <= now < meeting.vote_closes_at):
        raise ValidationError(
            _("不在网上投票时间内（%(a)s 至 %(b)s）。")
            % {"a": _localtime(meeting.vote_opens_at), "b": _localtime(meeting.vote_closes_at)}
        )
    if meeting.status != MeetingStatus.OPEN:
        raise ValidationError(_("表决已结束。"))
    if not meeting.attendance.filter(villager=voter).exists():
        raise PermissionDenied(
            _("您不在本次表决的名单中（须为会议当日年满十八周岁的在册村民或村民代表）。")
        )


def vote_cast(*, actor, matter: Matter, choice: str) -> dict:
    """A villager's online vote. Returns the receipt and the fingerprint of the text voted on.

    One person, one vote: the participation's unique constraint. The meeting's row is locked
    (votes of one meeting take turns with each other and with the count, never with other
    meetings). A secret vote is sealed (`ballot_box`), so nothing written now holds a choice
    anyone can read; an open vote is a ballot naming the voter. Atomic inside: a second vote
    is the unique constraint's error, turned into a message. Never through a 亲情账号."""
    permissions.refuse_proxy(actor, _("投票"))
    permissions.require(actor, DeliberationAction.MATTER_VOTE, matter.village)
    if choice not in Choice.values:
        raise ValidationError(_("表决意见只能是赞成（yes）、反对（no）或弃权（abstain）。"))
    voter = registered_villager(user=actor, village=matter.village)
    try:
        with transaction.atomic():
            meeting = _lock_vote_meeting(matter)
            now = timezone.now()
            _check_may_cast(meeting, voter, now)
            matter = meeting.matter
            receipt = new_receipt()
            Participation.objects.create(
                meeting=meeting, voter=voter, channel=Channel.ONLINE, cast_at=now
            )
            secret = matter.ballot_mode == BallotMode.SECRET
            if secret:
                key_id, sealed = ballot_box.seal(
                    meeting_id=meeting.pk, choice=choice, receipt=receipt
                )
                SealedBallot.objects.create(meeting=meeting, key_id=key_id, sealed=sealed)
            else:
                Ballot.objects.create(
                    meeting=meeting,
                    voter=voter,
                    choice=choice,
                    channel=Channel.ONLINE,
                    text_hash=meeting.frozen_hash,
                    receipt=receipt,
                )
            payload = {"matter": matter.pk, "voter": voter.pk, "channel": Channel.ONLINE}
            if not secret:
                payload["choice"] = choice
            record(
                actor=actor,
                action="deliberation.vote.cast",
                obj=meeting,
                payload=payload,
                matter=matter,
            )
    except IntegrityError as exc:
        raise ValidationError(_("您已经投过票了，每人每次表决只能投一票。")) from exc
    return {
        "receipt": receipt,
        "sha256": meeting.frozen_hash,
        "cast_at": now,
        "secret": secret,
        "choice": choice,
    }


def _unseal(meeting: Meeting, envelope: SealedBallot) -> tuple[str, str]:
    try:
        choice, receipt = ballot_box.unseal(
            meeting_id=meeting.pk, key_id=envelope.key_id, sealed=envelope.sealed
        )
    except ballot_box.BrokenSeal as exc:
        raise ValidationError(
            _("票箱中有一张选票无法开启（被改动或不是本次表决的选票），不能计票。")
        ) from exc
    if choice not in Choice.values:
        raise ValidationError(_("票箱中有一张选票的表决意见无效，不能计票。"))
    return choice, receipt


def ballot_box_open(*, meeting: Meeting) -> int:
    """Open a secret meeting's sealed ballots into anonymous ballots, shuffled, in one
    statement; return how many. The sealed ballots are removed once the meeting is closed.
    Runs inside the count's transaction (`matter_close_vote`)."""
    sealed = list(SealedBallot.objects.filter(meeting=meeting))
    online = meeting.participations.filter(channel=Channel.ONLINE).count()
    # Meetings opened before sealing filled blank ballots of a box instead.
    filled = Ballot.cast.filter(meeting=meeting, channel=Channel.ONLINE, voter__isnull=True).count()
    if len(sealed) + filled != online:
        raise ValidationError(
            _(
                "票箱中的选票（%(b)d 张）与网上投票人数（%(p)d 人）不符，不能计票；"
                "请乡镇核查（verify_audit）。"
            )
            % {"b": len(sealed) + filled, "p": online}
        )
    ballots, receipts = [], set()
    for envelope in sealed:
        choice, receipt = _unseal(meeting, envelope)
        if receipt in receipts:  # a copy of a sealed ballot: every genuine one is unique
            raise ValidationError(_("票箱中有重复的选票（被复制），不能计票；请乡镇核查。"))
        receipts.add(receipt)
        ballots.append(
            Ballot(
                meeting=meeting,
                choice=choice,
                receipt=receipt,
                channel=Channel.ONLINE,
                text_hash=meeting.frozen_hash,
            )
        )
    secrets.SystemRandom().shuffle(ballots)
    Ballot.objects.bulk_create(ballots)
    return len(ballots)


@transaction.atomic
def matter_close_vote(
    *, actor, matter: Matter, minutes: str, register_photo=None, force_early: bool = False
) -> Meeting:
    """Tally after the online window ends; store the verdict; pass → awaiting publication."""
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_vote():
        raise ValidationError(_("该议题当前不在表决期。"))
    meeting = Meeting.objects.select_for_update().get(pk=selectors.current_vote_meeting(matter).pk)
    if timezone.now() < meeting.vote_closes_at:
        raise ValidationError(
            _("网上投票截止时间（%s）未到，不能提前计票。") % _localtime(meeting.vote_closes_at)
        )
    if not (minutes or "").strip():
        raise ValidationError(_("请填写会议纪要后再计票。"))
    if register_photo:
        validate_image_upload(register_photo)
        meeting.register_photo = register_photo
    meeting.minutes = minutes.strip()
    secret = matter.ballot_mode == BallotMode.SECRET
    opened = ballot_box_open(meeting=meeting) if secret else None
    result = meeting_close(
        meeting=meeting, matter=matter, ruleset=matter.village.rules_on(meeting.held_on)
    )
    if opened is not None:
        SealedBallot.objects.filter(meeting=meeting).delete()
    matter.status = MatterStatus.RESOLVED if result["passed"] else MatterStatus.RETURNED
    matter.save()
    record(
        actor=actor,
        action="deliberation.vote.close",
        obj=meeting,
        payload={
            "matter": matter.pk,
            "verdict": result,
            "frozen_sha256": meeting.frozen_hash,
            "participations": meeting.participations.count(),
            "opened_sealed_ballots": opened,
            "ballots_sha256": selectors.ballots_sha256(meeting),
        },
        matter=matter,
    )
    if not result["passed"]:
        record(
            actor=actor,
            action="deliberation.matter.return",
            obj=matter,
            payload={"step": Step.RESOLUTION, "reason": result["explanation"]},
            matter=matter,
        )
    # The count writes the village's head into the township's chain.
    audit.anchor(village=matter.village, reason="vote", actor=actor)
    return meeting
