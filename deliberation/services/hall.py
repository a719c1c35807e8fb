"""Step 4 in the hall: who came (and which household each represents) and the hall's votes —
per person for an open ballot, a paper tally for a secret one."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from village import permissions
from village.permissions import user_of

from .. import selectors
from ..models import (
    Attendance,
    Ballot,
    BallotMode,
    Channel,
    Choice,
    Matter,
    Meeting,
    Participation,
)
from ..permissions import DeliberationAction
from .common import lock_matter, record


def validate_secret_tally(*, votes: dict, tally, voters: set[int]) -> dict[str, int]:
    """A secret vote's paper tally: no per-person choices, valid choices and counts, as many
    paper ballots as people voting in the hall now. Returns the tally as numbers."""
    if votes:
        raise ValidationError(_("无记名投票不能逐人登记表决意见，请登记纸质票统计。"))
    tally = {k: int(v) for k, v in (tally or {}).items()}
    if set(tally) - set(Choice.values) or any(v < 0 for v in tally.values()):
        raise ValidationError(_("票数统计格式不正确。"))
    if sum(tally.values()) != len(voters):
        raise ValidationError(
            _("纸质票总数（%(t)d）必须等于本次登记的会场投票人数（%(n)d）。")
            % {"t": sum(tally.values()), "n": len(voters)}
        )
    return tally


def validate_open_votes(*, votes: dict, present_ids: set[int], already: set[int], rows) -> None:
    """An open vote's per-person choices: only people present, who have not voted yet (online
    or in the hall), with valid choices."""
    if set(votes) - present_ids:
        raise ValidationError(_("只有到会的人可以在会场投票。"))
    if set(votes) & already:
        names = ", ".join(rows[v].villager.name for v in set(votes) & already)
        raise ValidationError(_("以下人员已经投过票（网上或会场）：%s") % names)
    if any(c not in Choice.values for c in votes.values()):
        raise ValidationError(_("表决意见只能是赞成、反对或弃权。"))


def validate_households(*, matter: Matter, households: dict[int, int]) -> None:
    """The households people represent are households of this village."""
    village_households = set(
        matter.village.households.filter(pk__in=set(households.values())).values_list(
            "pk", flat=True
        )
    )
    if set(households.values()) - village_households:
        raise ValidationError(_("代表的户必须是本村的户。"))


def _hall_ballots(meeting: Meeting, *, secret: bool, tally, votes) -> list[Ballot]:
    if secret:
        return [
            Ballot(meeting=meeting, choice=c, channel=Channel.HALL, text_hash=meeting.frozen_hash)
            for c, n in tally.items()
            for _i in range(n)
        ]
    return [
        Ballot(
            meeting=meeting,
            voter_id=v,
            choice=c,
            channel=Channel.HALL,
            text_hash=meeting.frozen_hash,
        )
        for v, c in votes.items()
    ]


def _save_participations(meeting: Meeting, voters: set[int], *, actor) -> None:
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
                        entered_by=user_of(actor),
                    )
                    for v in voters
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(_("有人已经投过票，每人只能投一票。")) from exc


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
    permissions.require(actor, DeliberationAction.MATTER_MANAGE, matter.village)
    matter = lock_matter(matter=matter)
    if not matter.can_vote():
        raise ValidationError(_("该议题当前不在表决期。"))
    meeting = Meeting.objects.select_for_update().get(pk=selectors.current_vote_meeting(matter).pk)
    secret = matter.ballot_mode == BallotMode.SECRET
    rows = {a.villager_id: a for a in meeting.attendance.select_related("villager")}
    present_ids = set(present or [])
    votes = {int(k): v for k, v in (votes or {}).items()}
    households = {int(k): int(v) for k, v in (households or {}).items()}
    if present_ids - set(rows):
        raise ValidationError(_("有人不在本次会议的应到名单中。"))
    already = set(meeting.participations.values_list("voter_id", flat=True))
    if secret:
        voters = present_ids - already
        tally = validate_secret_tally(votes=votes, tally=tally, voters=voters)
    else:
        validate_open_votes(votes=votes, present_ids=present_ids, already=already, rows=rows)
        voters = set(votes)
    validate_households(matter=matter, households=households)
    for vid in present_ids:
        row = rows[vid]
        row.present = True
        row.household_id = households.get(vid, row.household_id or row.villager.household_id)
    Attendance.objects.bulk_update([rows[v] for v in present_ids], ["present", "household"])
    _save_participations(meeting, voters, actor=actor)
    Ballot.objects.bulk_create(_hall_ballots(meeting, secret=secret, tally=tally, votes=votes))
    record(
        actor=actor,
        action="deliberation.vote.hall",
        obj=meeting,
        payload={
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
        matter=matter,
    )
    return meeting
