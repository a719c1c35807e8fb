"""Every write of the procedure. Each service checks the guard and the permission, validates,
locks the matter row, writes, and records the event in the audit chain (and Wagtail's log).

Order: matter_create → meeting_record (steps 1–3, or a joint 1+2) → matter_open_vote (step 4,
text frozen) → vote_cast / hall_votes_enter → matter_close_vote → matter_publish (step 5) →
objection_file / objection_answer → publication_close → implementation_add → result_publish
(step 6) → publication_close → archived. A failed step returns the matter; matter_revise makes
a new version and restarts at step 1; matter_withdraw ends it. Nothing is deleted.
"""

import secrets
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village import audit, permissions
from village.models import Villager, VillageRole, VillagerStatus
from village.selectors import Body as CoreBody
from village.selectors import body_members
from village.uploads import validate_image_upload

from . import ballot_box, recount, rules, selectors
from .models import (
    Attendance,
    Ballot,
    BallotMode,
    Body,
    Channel,
    Choice,
    DecidingBody,
    ImplementationUpdate,
    Matter,
    MatterStatus,
    MatterVersion,
    Meeting,
    MeetingStatus,
    Objection,
    Observer,
    Participation,
    Publication,
    PublicationKind,
    SealedBallot,
    Step,
    Suggestion,
    SuggestionStatus,
)

MANAGE = "matter.manage"
VOTE = "matter.vote"
FILE_OBJECTION = "objection.file"
ANSWER_OBJECTION = "objection.answer"
SUBMIT_SUGGESTION = "suggestion.submit"
ANSWER_SUGGESTION = "suggestion.answer"

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

MINUTES_REQUIRED = gettext_lazy(
    "请填写会议纪要：会议记录须连同纪要一起保存（照会议记录本填写讨论情况和表决结果）。"
)


def _require(actor, action, target):
    if actor is not None:
        permissions.require(actor, action, target)


def _lock(matter: Matter) -> Matter:
    return (
        Matter.objects.select_for_update(of=("self",))
        .select_related("village__rules")
        .get(pk=matter.pk)
    )


def _record(actor, action, obj, payload, matter):
    audit.record(actor=actor, action=action, obj=obj, payload=payload, village=matter.village)


def _receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(10))


def _villager_of(user, village) -> Villager:
    villager = permissions.villager_of(user)
    if villager is None or villager.village_id != village.pk:
        raise PermissionDenied(_("您不是本村村民，不能进行此操作。"))
    if villager.status != VillagerStatus.REGISTERED:
        raise PermissionDenied(_("您的户籍状态不是在册，不能进行此操作。"))
    return villager


# --- matters -------------------------------------------------------------------


@transaction.atomic
def matter_create(
    *,
    actor,
    village,
    title: str,
    body: str,
    category: str,
    origin: str,
    deciding_body: str = DecidingBody.REPRESENTATIVES_MEETING,
    ballot_mode: str = BallotMode.OPEN,
    estimated_amount_fen: int | None = None,
    suggestion: Suggestion | None = None,
) -> Matter:
    _require(actor, MANAGE, village)
    matter = Matter(
        village=village,
        title=(title or "").strip(),
        body=(body or "").strip(),
        category=category,
        origin=origin,
        deciding_body=deciding_body,
        ballot_mode=ballot_mode,
        estimated_amount_fen=estimated_amount_fen,
        created_by=actor,
        suggestion=suggestion,
    )
    matter.full_clean()
    matter.save()
    version = MatterVersion.objects.create(
        matter=matter,
        number=1,
        title=matter.title,
        body=matter.body,
        sha256=matter.text_hash,
        created_by=actor,
    )
    _record(
        actor,
        "deliberation.matter.create",
        matter,
        {
            "title": matter.title,
            "category": category,
            "origin": origin,
            "deciding_body": deciding_body,
            "ballot_mode": ballot_mode,
            "version": 1,
            "sha256": version.sha256,
        },
        matter,
    )
    return matter


@transaction.atomic
def matter_revise(*, actor, matter: Matter, title: str, body: str, reason: str) -> Matter:
    """A new version of the text; only before deliberation starts or after a return."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_revise():
        raise ValidationError(
            _(
                "议题“%(s)s”状态下不能修改文本；表决开始后文本已冻结，修改须退回后形成新版本重新表决。"
            )
            % {"s": matter.get_status_display()}
        )
    if not (reason or "").strip():
        raise ValidationError(_("请说明修改原因。"))
    matter.title, matter.body = (title or "").strip(), (body or "").strip()
    matter.full_clean()
    matter.version += 1
    matter.status = MatterStatus.DRAFT
    matter.current_step = Step.BRANCH
    matter.frozen_hash, matter.frozen_at = "", None
    matter.save()
    version = MatterVersion.objects.create(
        matter=matter,
        number=matter.version,
        title=matter.title,
        body=matter.body,
        sha256=matter.text_hash,
        reason=reason.strip(),
        created_by=actor,
    )
    _record(
        actor,
        "deliberation.matter.revise",
        matter,
        {"version": version.number, "sha256": version.sha256, "reason": version.reason},
        matter,
    )
    return matter


@transaction.atomic
def matter_withdraw(*, actor, matter: Matter, reason: str) -> Matter:
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_withdraw():
        raise ValidationError(_("表决开始后不能撤回议题。"))
    if not (reason or "").strip():
        raise ValidationError(_("请说明撤回原因。"))
    matter.status = MatterStatus.WITHDRAWN
    matter.save()
    _record(actor, "deliberation.matter.withdraw", matter, {"reason": reason.strip()}, matter)
    return matter


def _current_version(matter: Matter) -> MatterVersion:
    return matter.versions.get(number=matter.version)


# --- meetings of steps 1–3 -------------------------------------------------------


def _snapshot(matter: Matter, body: Body, held_on: date) -> list[Villager]:
    return list(selectors.should_attend(matter=matter, body=body, on=held_on))


def _one_shoulder(matter: Matter, held_on: date) -> bool:
    """一肩挑: the party secretary also sits on the village committee on that date."""
    from village.models import Membership

    valid = Membership.objects.valid_on(held_on).filter(village=matter.village)
    secretaries = valid.filter(role=VillageRole.SECRETARY).values_list("villager_id", flat=True)
    return valid.filter(
        role=VillageRole.VILLAGE_COMMITTEE, villager_id__in=list(secretaries)
    ).exists()


def _validate_people(matter, ids, label) -> list[Villager]:
    people = list(Villager.objects.filter(pk__in=ids, village=matter.village))
    if len(people) != len(set(ids)):
        raise ValidationError(_("%s中有不是本村村民的人。") % label)
    return people


def _validate_meeting_common(matter, held_on, chair, recorder, register_photo):
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
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    step = matter.current_step
    if not matter.can_record_step(step):
        raise ValidationError(
            _("当前状态（%(s)s，第 %(n)d 步）不能记录这一步的会议。")
            % {"s": matter.get_status_display(), "n": step}
        )
    ruleset = matter.village.rules
    if joint:
        if step != Step.BRANCH:
            raise ValidationError(_("只有党支部提议可以与两委商议合并召开。"))
        if not ruleset.allow_joint_branch_committees:
            raise ValidationError(_("本村议事规则不允许合并召开。"))
        if not _one_shoulder(matter, held_on):
            raise ValidationError(_("本村书记不兼任村委会成员（非“一肩挑”），不能合并召开。"))
    _validate_meeting_common(matter, held_on, chair, recorder, register_photo)
    body = selectors.meeting_body(step, joint=joint)
    members = _snapshot(matter, body, held_on)
    member_ids = {m.pk for m in members}
    present_ids = set(present or [])
    exemptions = {int(k): (v or "").strip() for k, v in (exemptions or {}).items()}
    votes = {int(k): v for k, v in (votes or {}).items()}
    if not members:
        raise ValidationError(_("会议日期当天该机构没有成员，请先维护任职或党员信息。"))
    strangers = (present_ids | set(exemptions) | set(votes)) - member_ids
    if strangers:
        names = ", ".join(Villager.objects.filter(pk__in=strangers).values_list("name", flat=True))
        raise ValidationError(
            _("以下人员不在应到名单中（列席人员请单独登记，不计入人数）：%s") % (names or strangers)
        )
    if body != Body.PARTY_MEMBERS and exemptions:
        raise ValidationError(_("只有党员大会可以登记经批准的请假。"))
    if present_ids & set(exemptions):
        raise ValidationError(_("出席的人不能同时登记请假。"))
    if any(not reason for reason in exemptions.values()):
        raise ValidationError(_("请假须写明事由和批准情况。"))
    if set(votes) - present_ids:
        raise ValidationError(_("只有出席会议的人可以表决。"))
    bad = [c for c in votes.values() if c not in Choice.values]
    if bad:
        raise ValidationError(_("表决意见只能是赞成、反对或弃权。"))
    # The meeting is recorded after it was held, from the paper record: its minutes are part
    # of that record, saved with it or not at all (like the vote's minutes at the count).
    if not (minutes or "").strip():
        raise ValidationError(MINUTES_REQUIRED)
    version = _current_version(matter)
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
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    if register_photo:
        meeting.register_photo = register_photo
    meeting.full_clean(exclude=["register_photo"])
    meeting.save()
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                villager=m,
                present=m.pk in present_ids,
                exempted=m.pk in exemptions,
                exemption_reason=exemptions.get(m.pk, ""),
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
                meeting=meeting, voter_id=vid, channel=Channel.HALL, cast_at=now, entered_by=actor
            )
            for vid in votes
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
            for vid, choice in votes.items()
        ]
    )
    result = _close(meeting, matter, ruleset, joint=joint)
    if result["passed"]:
        matter.current_step = Step.PARTY if joint else step + 1
        matter.status = MatterStatus.DELIBERATING
    else:
        matter.status = MatterStatus.RETURNED
    matter.save()
    _record(
        actor,
        "deliberation.meeting.record",
        meeting,
        {
            "matter": matter.pk,
            "step": step,
            "joint": joint,
            "held_on": held_on,
            "version": version.number,
            "sha256": version.sha256,
            "verdict": result,
            "observers": [n for n, _c in (observers or []) if n],
            "participations": len(votes),
            "ballots_sha256": ballots_sha256(meeting),
        },
        matter,
    )
    if not result["passed"]:
        _record(
            actor,
            "deliberation.matter.return",
            matter,
            {"step": step, "reason": result["explanation"]},
            matter,
        )
    return meeting


def _count(meeting: Meeting, ruleset) -> tuple[rules.Count, list[Attendance]]:
    rows = selectors.attendance_of(meeting, ruleset)
    should = [a for a in rows if not a.exempted]
    present = [a for a in should if a.counts_present]
    households_total = len({a.villager.household_id for a in should})
    households_present = len({a.household_id or a.villager.household_id for a in present})
    tally = {c: 0 for c in Choice.values}
    for choice in Ballot.cast.filter(meeting=meeting).values_list("choice", flat=True):
        tally[choice] += 1
    count = rules.Count(
        should_attend=len(should),
        present=len(present),
        households_total=households_total,
        households_present=households_present,
        yes=tally["yes"],
        no=tally["no"],
        abstain=tally["abstain"],
    )
    return count, rows


def _close(meeting: Meeting, matter: Matter, ruleset, *, joint=False) -> dict:
    count, rows = _count(meeting, ruleset)
    result = rules.verdict(ruleset, meeting.body, count)
    # Who was listed, who counted and for which household: fingerprints the recount checks
    # the attendance rows against (deliberation/recount.py).
    result["attendance"] = recount.attendance_facts(
        [
            (a.villager_id, a.present, a.exempted, a.household_id or a.villager.household_id)
            for a in rows
        ],
        {a.villager_id for a in rows if a.voted_online},
        online_counts_present=ruleset.online_voter_counts_present,
    )
    if joint:
        # The branch committee's own rule must hold inside the joint meeting too.
        branch_ids = {
            v.pk
            for v in body_members(
                village=matter.village, body=CoreBody.BRANCH_COMMITTEE, on=meeting.held_on
            )
        }
        rows = list(meeting.attendance.filter(villager_id__in=branch_ids))
        branch_yes = meeting.ballots.filter(voter_id__in=branch_ids, choice=Choice.YES).count()
        branch = rules.verdict(
            ruleset,
            Body.BRANCH_COMMITTEE,
            rules.Count(
                should_attend=len(rows),
                present=sum(1 for a in rows if a.present),
                households_total=0,
                households_present=0,
                yes=branch_yes,
                no=0,
                abstain=0,
            ),
        )
        result["branch"] = branch
        result["passed"] = result["passed"] and branch["passed"]
        result["quorum_met"] = result["quorum_met"] and branch["quorum_met"]
    meeting.should_attend = count.should_attend
    meeting.present = count.present
    meeting.households_total = count.households_total
    meeting.households_present = count.households_present
    meeting.yes, meeting.no, meeting.abstain = count.yes, count.no, count.abstain
    meeting.quorum_met = result["quorum_met"]
    meeting.passed = result["passed"]
    meeting.verdict = audit.json_safe(result)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save()
    return result


# --- step 4: vote ------------------------------------------------------------------


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
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_open_vote():
        raise ValidationError(_("只有通过党员大会审议的议题才能交付村民（代表）会议表决。"))
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise ValidationError(_("投票截止时间必须晚于开始时间。"))
    if closes_at <= timezone.now():
        raise ValidationError(_("投票截止时间必须晚于现在。"))
    if held_on is None:
        raise ValidationError(_("请填写会议日期。"))
    last = matter.meetings.filter(version__number=matter.version).order_by("-held_on").first()
    if last and held_on < last.held_on:
        raise ValidationError(_("会议日期不能早于上一步骤的会议日期（%s）。") % last.held_on)
    body = (
        Body.VILLAGERS
        if matter.deciding_body == DecidingBody.VILLAGERS_MEETING
        else Body.REPRESENTATIVES
    )
    members = _snapshot(matter, body, held_on)
    if not members:
        raise ValidationError(_("没有有表决权的人员。"))
    version = _current_version(matter)
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
        recorded_by=actor,
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
    _record(
        actor,
        "deliberation.vote.open",
        meeting,
        {
            "matter": matter.pk,
            "frozen_sha256": version.sha256,
            "version": version.number,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "should_attend": len(members),
            "attendance_sha256": recount.digest_ids(m.pk for m in members),
            "body": body,
        },
        matter,
    )
    return meeting


def vote_meeting(matter: Matter) -> Meeting | None:
    return matter.meetings.filter(step=Step.RESOLUTION, version__number=matter.version).first()


def vote_cast(*, actor, matter: Matter, choice: str) -> dict:
    """A villager's online vote. Returns the receipt and the fingerprint of the text voted on.

    One person, one vote: the participation's unique constraint. The meeting's row is locked
    (votes of one meeting take turns with each other and with the count, never with other
    meetings). A secret vote is sealed (`ballot_box`), so nothing written now holds a choice
    anyone can read; an open vote is a ballot naming the voter."""
    permissions.require(actor, VOTE, matter.village)
    if choice not in Choice.values:
        raise ValidationError(_("表决意见只能是赞成（yes）、反对（no）或弃权（abstain）。"))
    voter = _villager_of(actor, matter.village)
    try:
        with transaction.atomic():
            found = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("matter__village")
                .filter(
                    matter_id=matter.pk,
                    step=Step.RESOLUTION,
                    version__number=F("matter__version"),
                )
                .order_by()[:1]  # one row: no default ordering's joins
            )
            meeting = found[0] if found else None
            if meeting is None or not meeting.matter.can_vote():
                raise ValidationError(_("该议题当前不在表决期。"))
            matter = meeting.matter
            now = timezone.now()
            if not (meeting.vote_opens_at <= now < meeting.vote_closes_at):
                raise ValidationError(
                    _("不在网上投票时间内（%(a)s 至 %(b)s）。")
                    % {
                        "a": timezone.localtime(meeting.vote_opens_at).strftime("%Y-%m-%d %H:%M"),
                        "b": timezone.localtime(meeting.vote_closes_at).strftime("%Y-%m-%d %H:%M"),
                    }
                )
            if meeting.status != MeetingStatus.OPEN:
                raise ValidationError(_("表决已结束。"))
            if not meeting.attendance.filter(villager=voter).exists():
                raise PermissionDenied(
                    _("您不在本次表决的名单中（须为会议当日年满十八周岁的在册村民或村民代表）。")
                )
            receipt = _receipt()
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
            _record(actor, "deliberation.vote.cast", meeting, payload, matter)
    except IntegrityError as exc:
        raise ValidationError(_("您已经投过票了，每人每次表决只能投一票。")) from exc
    return {
        "receipt": receipt,
        "sha256": meeting.frozen_hash,
        "cast_at": now,
        "secret": secret,
        "choice": choice,
    }


def ballots_sha256(meeting: Meeting) -> str:
    """SHA-256 over a meeting's counted ballots: the count's event records it, so a ballot
    changed or swapped behind the code's back shows even where the totals stay the same."""
    return recount.digest(
        Ballot.cast.filter(meeting=meeting).values_list("channel", "receipt", "choice", "voter_id")
    )


def _open_box(meeting: Meeting) -> int:
    """Open a secret meeting's sealed ballots into anonymous ballots, shuffled, in one
    statement; return how many. The sealed ballots are removed once the meeting is closed."""
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
def hall_votes_enter(
    *,
    actor,
    matter: Matter,
    present: list[int],
    households: dict[int, int] | None = None,
    votes: dict[int, str] | None = None,
    tally: dict[str, int] | None = None,
) -> Meeting:
    """The recorder enters who came to the hall (and which household each represents) and the
    hall votes: per person for an open ballot, as a paper tally for a secret one."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_vote():
        raise ValidationError(_("该议题当前不在表决期。"))
    meeting = Meeting.objects.select_for_update().get(pk=vote_meeting(matter).pk)
    secret = matter.ballot_mode == BallotMode.SECRET
    rows = {a.villager_id: a for a in meeting.attendance.select_related("villager")}
    present_ids = set(present or [])
    votes = {int(k): v for k, v in (votes or {}).items()}
    households = {int(k): int(v) for k, v in (households or {}).items()}
    if present_ids - set(rows):
        raise ValidationError(_("有人不在本次会议的应到名单中。"))
    already = set(meeting.participations.values_list("voter_id", flat=True))
    if secret:
        if votes:
            raise ValidationError(_("无记名投票不能逐人登记表决意见，请登记纸质票统计。"))
        tally = {k: int(v) for k, v in (tally or {}).items()}
        if set(tally) - set(Choice.values) or any(v < 0 for v in tally.values()):
            raise ValidationError(_("票数统计格式不正确。"))
        voters = present_ids - already
        if sum(tally.values()) != len(voters):
            raise ValidationError(
                _("纸质票总数（%(t)d）必须等于本次登记的会场投票人数（%(n)d）。")
                % {"t": sum(tally.values()), "n": len(voters)}
            )
    else:
        if set(votes) - present_ids:
            raise ValidationError(_("只有到会的人可以在会场投票。"))
        if set(votes) & already:
            names = ", ".join(rows[v].villager.name for v in set(votes) & already)
            raise ValidationError(_("以下人员已经投过票（网上或会场）：%s") % names)
        if any(c not in Choice.values for c in votes.values()):
            raise ValidationError(_("表决意见只能是赞成、反对或弃权。"))
        voters = set(votes)
    village_households = set(
        matter.village.households.filter(pk__in=set(households.values())).values_list(
            "pk", flat=True
        )
    )
    if set(households.values()) - village_households:
        raise ValidationError(_("代表的户必须是本村的户。"))
    for vid in present_ids:
        row = rows[vid]
        row.present = True
        row.household_id = households.get(vid, row.household_id or row.villager.household_id)
    Attendance.objects.bulk_update([rows[v] for v in present_ids], ["present", "household"])
    now = timezone.now()
    try:
        with transaction.atomic():
            Participation.objects.bulk_create(
                [
                    Participation(
                        meeting=meeting,
                        voter_id=v,
                        channel=Channel.HALL,
                        cast_at=now,
                        entered_by=actor,
                    )
                    for v in voters
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(_("有人已经投过票，每人只能投一票。")) from exc
    if secret:
        ballots = [
            Ballot(meeting=meeting, choice=c, channel=Channel.HALL, text_hash=meeting.frozen_hash)
            for c, n in tally.items()
            for _i in range(n)
        ]
    else:
        ballots = [
            Ballot(
                meeting=meeting,
                voter_id=v,
                choice=c,
                channel=Channel.HALL,
                text_hash=meeting.frozen_hash,
            )
            for v, c in votes.items()
        ]
    Ballot.objects.bulk_create(ballots)
    _record(
        actor,
        "deliberation.vote.hall",
        meeting,
        {
            "matter": matter.pk,
            "present": len(present_ids),
            # Who came to the hall and for which household: the recount checks attendance
            # against these (attendance is public; the choices of a secret vote are not here).
            "present_ids": sorted(present_ids),
            "households": {str(v): rows[v].household_id for v in sorted(present_ids)},
            "voters": len(voters),
            "tally": tally if secret else None,
            "votes": None if secret else {str(k): v for k, v in votes.items()},
        },
        matter,
    )
    return meeting


@transaction.atomic
def matter_close_vote(
    *, actor, matter: Matter, minutes: str, register_photo=None, force_early: bool = False
) -> Meeting:
    """Tally after the online window ends; store the verdict; pass → awaiting publication."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_vote():
        raise ValidationError(_("该议题当前不在表决期。"))
    meeting = Meeting.objects.select_for_update().get(pk=vote_meeting(matter).pk)
    if timezone.now() < meeting.vote_closes_at:
        raise ValidationError(
            _("网上投票截止时间（%s）未到，不能提前计票。")
            % timezone.localtime(meeting.vote_closes_at).strftime("%Y-%m-%d %H:%M")
        )
    if not (minutes or "").strip():
        raise ValidationError(_("请填写会议纪要后再计票。"))
    if register_photo:
        validate_image_upload(register_photo)
        meeting.register_photo = register_photo
    meeting.minutes = minutes.strip()
    opened = _open_box(meeting) if matter.ballot_mode == BallotMode.SECRET else None
    result = _close(meeting, matter, matter.village.rules)
    if opened is not None:
        SealedBallot.objects.filter(meeting=meeting).delete()
    matter.status = MatterStatus.RESOLVED if result["passed"] else MatterStatus.RETURNED
    matter.save()
    _record(
        actor,
        "deliberation.vote.close",
        meeting,
        {
            "matter": matter.pk,
            "verdict": result,
            "frozen_sha256": meeting.frozen_hash,
            "participations": meeting.participations.count(),
            "opened_sealed_ballots": opened,
            "ballots_sha256": ballots_sha256(meeting),
        },
        matter,
    )
    if not result["passed"]:
        _record(
            actor,
            "deliberation.matter.return",
            matter,
            {"step": Step.RESOLUTION, "reason": result["explanation"]},
            matter,
        )
    # The count writes the village's head into the township's chain.
    audit.anchor(village=matter.village, reason="vote", actor=actor)
    return meeting


# --- steps 5 and 6: publications, objections, implementation ------------------------


def _publish(actor, matter, kind, text, days_key) -> Publication:
    if not (text or "").strip():
        raise ValidationError(_("请填写公开内容。"))
    ruleset = matter.village.rules
    days = getattr(ruleset, days_key)
    now = timezone.now()
    publication = Publication.objects.create(
        matter=matter,
        kind=kind,
        text=text.strip(),
        starts_at=now,
        ends_at=now + timedelta(days=days),
        required_days=days,
        rule_source=ruleset.source(days_key),
        published_by=actor,
    )
    _record(
        actor,
        f"deliberation.publication.{kind}",
        publication,
        {"matter": matter.pk, "days": days, "ends_at": publication.ends_at},
        matter,
    )
    return publication


@transaction.atomic
def matter_publish(*, actor, matter: Matter, text: str) -> Publication:
    """Step 5: publish the resolution for the rule set's number of days; objections open."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_publish_resolution():
        raise ValidationError(_("只有已通过表决的议题才能公开决议。"))
    publication = _publish(
        actor, matter, PublicationKind.RESOLUTION, text, "resolution_publication_days"
    )
    matter.status = MatterStatus.PUBLISHING
    matter.current_step = Step.PUBLICATION
    matter.save()
    # Every published resolution writes the village's head into the township's chain.
    audit.anchor(village=matter.village, reason="resolution", actor=actor)
    return publication


def open_publication(matter: Matter) -> Publication | None:
    return matter.publications.filter(closed_at__isnull=True).order_by("-starts_at").first()


@transaction.atomic
def objection_file(*, actor, publication: Publication, text: str) -> Objection:
    matter = publication.matter
    permissions.require(actor, FILE_OBJECTION, matter.village)
    villager = _villager_of(actor, matter.village)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    now = timezone.now()
    if publication.closed_at or now >= publication.ends_at:
        raise ValidationError(_("公开期已结束，不能再提出异议。"))
    if not (text or "").strip():
        raise ValidationError(_("请写明异议的内容和理由。"))
    if len(text) > 2000:
        raise ValidationError(_("异议内容不能超过 2000 字。"))
    objection = Objection.objects.create(
        publication=publication, villager=villager, text=text.strip()
    )
    _record(
        actor,
        "deliberation.objection.file",
        objection,
        {"publication": publication.pk, "matter": matter.pk, "villager": villager.pk},
        matter,
    )
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, answer: str) -> Objection:
    matter = objection.publication.matter
    _require(actor, ANSWER_OBJECTION, matter.village)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered:
        raise ValidationError(_("该异议已经答复过。"))
    if not (answer or "").strip():
        raise ValidationError(_("请填写答复内容。"))
    objection.answer = answer.strip()
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    _record(
        actor,
        "deliberation.objection.answer",
        objection,
        {"matter": matter.pk, "answer": objection.answer[:500]},
        matter,
    )
    return objection


@transaction.atomic
def publication_close(*, actor, matter: Matter) -> Matter:
    """End a publication when its days are over and every objection is answered."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    publication = open_publication(matter)
    if publication is None or matter.status not in (
        MatterStatus.PUBLISHING,
        MatterStatus.RESULT_PUBLISHING,
    ):
        raise ValidationError(_("没有正在进行的公开。"))
    now = timezone.now()
    if now < publication.ends_at:
        raise ValidationError(
            _("公开期未满（%(d)d 天，至 %(end)s），不能提前结束。")
            % {
                "d": publication.required_days,
                "end": timezone.localtime(publication.ends_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    unanswered = publication.objections.filter(answered_at__isnull=True).count()
    if unanswered:
        raise ValidationError(_("还有 %d 条异议未答复，答复后才能进入下一步。") % unanswered)
    publication.closed_at = now
    publication.save()
    if publication.kind == PublicationKind.RESOLUTION:
        matter.status = MatterStatus.IMPLEMENTING
        matter.current_step = Step.RESULT
    else:
        matter.status = MatterStatus.ARCHIVED
    matter.save()
    _record(
        actor,
        "deliberation.publication.close",
        publication,
        {
            "matter": matter.pk,
            "kind": publication.kind,
            "objections": publication.objections.count(),
        },
        matter,
    )
    return matter


@transaction.atomic
def implementation_add(*, actor, matter: Matter, text: str, photo=None) -> ImplementationUpdate:
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_add_implementation():
        raise ValidationError(_("决议公开结束后才能登记实施进展。"))
    if not (text or "").strip():
        raise ValidationError(_("请填写实施进展。"))
    if photo:
        validate_image_upload(photo)
    update = ImplementationUpdate(matter=matter, text=text.strip(), created_by=actor)
    if photo:
        update.photo = photo
    update.save()
    _record(
        actor,
        "deliberation.implementation.add",
        update,
        {"matter": matter.pk, "photo": bool(photo)},
        matter,
    )
    return update


@transaction.atomic
def result_publish(*, actor, matter: Matter, text: str) -> Publication:
    """Step 6: publish the implementation result for the rule set's number of days."""
    _require(actor, MANAGE, matter.village)
    matter = _lock(matter)
    if not matter.can_add_implementation():
        raise ValidationError(_("只有实施中的议题才能公开实施结果。"))
    if not matter.updates.exists():
        raise ValidationError(_("请先登记至少一条实施进展。"))
    publication = _publish(actor, matter, PublicationKind.RESULT, text, "result_publication_days")
    matter.status = MatterStatus.RESULT_PUBLISHING
    matter.save()
    return publication


# --- 村民说事 ----------------------------------------------------------------------------


@transaction.atomic
def suggestion_submit(*, actor, village, text: str, photo=None) -> Suggestion:
    permissions.require(actor, SUBMIT_SUGGESTION, village)
    villager = _villager_of(actor, village)
    if not (text or "").strip():
        raise ValidationError(_("请写下您想说的事。"))
    if len(text) > 2000:
        raise ValidationError(_("内容不能超过 2000 字。"))
    if photo:
        validate_image_upload(photo)
    suggestion = Suggestion(village=village, villager=villager, text=text.strip())
    if photo:
        suggestion.photo = photo
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.submit",
        obj=suggestion,
        payload={"villager": villager.pk},
        village=village,
    )
    return suggestion


@transaction.atomic
def suggestion_answer(*, actor, suggestion: Suggestion, answer: str) -> Suggestion:
    _require(actor, ANSWER_SUGGESTION, suggestion.village)
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.OPEN:
        raise ValidationError(_("该建议已经处理过。"))
    if not (answer or "").strip():
        raise ValidationError(_("请填写答复内容。"))
    suggestion.answer = answer.strip()
    suggestion.answered_by = actor
    suggestion.answered_at = timezone.now()
    suggestion.status = SuggestionStatus.ANSWERED
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.answer",
        obj=suggestion,
        payload={"answer": suggestion.answer[:500]},
        village=suggestion.village,
    )
    return suggestion


@transaction.atomic
def suggestion_adopt(*, actor, suggestion: Suggestion, **matter_fields) -> Matter:
    """Turn a suggestion into a matter of origin 党员群众建议, linked both ways."""
    _require(actor, MANAGE, suggestion.village)
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status == SuggestionStatus.ADOPTED:
        raise ValidationError(_("该建议已经转为议题。"))
    matter = matter_create(
        actor=actor,
        village=suggestion.village,
        origin="suggestion",
        suggestion=suggestion,
        **matter_fields,
    )
    suggestion.status = SuggestionStatus.ADOPTED
    suggestion.answered_by = actor
    suggestion.answered_at = timezone.now()
    if not suggestion.answer:
        suggestion.answer = _("已转为议题：%s") % matter.title
    suggestion.save()
    audit.record(
        actor=actor,
        action="deliberation.suggestion.adopt",
        obj=suggestion,
        payload={"matter": matter.pk},
        village=suggestion.village,
    )
    return matter
