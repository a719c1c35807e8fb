"""Recounting every vote from what is stored, for `verify_audit`, the trail page and the audit
API: the ballots against the participations, the totals against the meeting's stored verdict,
and both against the audit chain's events (who was on the list when the vote opened, who voted
online and how, what the hall entered, the count's own totals, attendance fingerprints and the
fingerprint of the counted ballots). A ballot, a participation, an attendance row or a total
added, changed or removed behind the code's back makes its meeting's recount fail, named.

Reads in a fixed number of queries for any number of meetings (all rows of the meetings asked
about, grouped here)."""

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from village.models import AuditEvent

from .models import (
    Attendance,
    Ballot,
    Choice,
    Meeting,
    MeetingStatus,
    Participation,
    SealedBallot,
    Step,
)

COUNT_ACTIONS = ("deliberation.vote.close", "deliberation.meeting.record")
VOTE_ACTIONS = (
    "deliberation.vote.open",
    "deliberation.vote.cast",
    "deliberation.vote.hall",
    *COUNT_ACTIONS,
)


@dataclass
class Recount:
    meeting: Meeting
    tally: dict[str, int]
    participations: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "meeting": self.meeting.pk,
            "step": self.meeting.step,
            "status": self.meeting.status,
            "tally": self.tally,
            "stored": {
                "yes": self.meeting.yes,
                "no": self.meeting.no,
                "abstain": self.meeting.abstain,
            },
            "participations": self.participations,
            "ok": self.ok,
            "problems": self.problems,
        }

    def __str__(self):
        where = _("议题 %(m)d 第 %(s)d 步会议（meeting %(id)d）") % {
            "m": self.meeting.matter_id,
            "s": self.meeting.step,
            "id": self.meeting.pk,
        }
        return f"{where}: " + "; ".join(self.problems)


def digest(rows) -> str:
    """SHA-256 over counted ballots given as (channel, receipt, choice, voter id), sorted."""
    lines = sorted(f"{ch}|{r or ''}|{c}|{v or ''}" for ch, r, c, v in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def digest_ids(ids) -> str:
    """SHA-256 over sorted ids (who was on a list)."""
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()


def attendance_facts(rows, online_voters: set[int], *, online_counts_present: bool) -> dict:
    """Fingerprints of a meeting's attendance as the count saw it. `rows`: (villager id,
    present, exempted, household id counted) per person on the list; `online_voters`: who
    voted online. Stored in the verdict and the count's event; the recount recomputes them."""
    counted = sorted(
        f"{vid}:{household}"
        for vid, present, exempted, household in rows
        if not exempted and (present or (vid in online_voters and online_counts_present))
    )
    return {
        "online_counts_present": online_counts_present,
        "listed_sha256": digest_ids(vid for vid, _p, _e, _h in rows),
        "should_sha256": digest_ids(vid for vid, _p, exempted, _h in rows if not exempted),
        "present_sha256": hashlib.sha256("\n".join(counted).encode()).hexdigest(),
    }


def recount(meetings) -> list[Recount]:
    """Recount these meetings (a list or queryset of Meeting): six queries for any number."""
    meetings = list(meetings)
    ids = [m.pk for m in meetings]
    if not ids:
        return []
    ballots = defaultdict(list)
    for row in Ballot.cast.filter(meeting_id__in=ids).values_list(
        "meeting_id", "channel", "receipt", "choice", "voter_id"
    ):
        ballots[row[0]].append(row[1:])
    participations = defaultdict(list)
    for meeting_id, voter_id, channel in Participation.objects.filter(
        meeting_id__in=ids
    ).values_list("meeting_id", "voter_id", "channel"):
        participations[meeting_id].append((voter_id, channel))
    sealed = defaultdict(list)
    for meeting_id, blob in SealedBallot.objects.filter(meeting_id__in=ids).values_list(
        "meeting_id", "sealed"
    ):
        sealed[meeting_id].append(bytes(blob))
    attendance = defaultdict(list)
    for meeting_id, vid, present, exempted, household, own in Attendance.objects.filter(
        meeting_id__in=ids
    ).values_list(
        "meeting_id", "villager_id", "present", "exempted", "household_id", "villager__household_id"
    ):
        attendance[meeting_id].append((vid, present, exempted, household or own))
    events = defaultdict(list)
    for event in (
        AuditEvent.objects.filter(
            object_type="deliberation.meeting",
            object_id__in=[str(i) for i in ids],
            action__in=VOTE_ACTIONS,
        )
        .only("object_id", "action", "payload", "chain", "seq")
        .order_by("chain", "seq")
    ):
        events[int(event.object_id)].append(event)
    return [
        _Recounting(
            m, ballots[m.pk], participations[m.pk], sealed[m.pk], events[m.pk], attendance[m.pk]
        ).run()
        for m in meetings
    ]


class _Recounting:
    """One meeting's recount: each check a method that adds its problems."""

    def __init__(self, meeting, ballots, participations, blobs, events, attendance):
        self.meeting, self.ballots, self.blobs = meeting, ballots, blobs
        self.participations, self.attendance = participations, attendance
        self.events = defaultdict(list)
        for event in events:
            self.events[event.action].append(event)
        self.tally = {c: 0 for c in Choice.values}
        for _channel, _receipt, choice, _voter in ballots:
            self.tally[choice] = self.tally.get(choice, 0) + 1
        self.by_channel = Counter(channel for channel, _r, _c, _v in ballots)
        self.voters = Counter(channel for _v, channel in participations)
        self.online_voters = {v for v, channel in participations if channel == "online"}
        self.result = Recount(meeting=meeting, tally=self.tally, participations=len(participations))
        self.problems = self.result.problems

    def run(self) -> Recount:
        self.online_against_the_chain()
        self.list_against_the_chain()
        if self.meeting.step == Step.RESOLUTION:
            self.hall_against_the_chain()
        if self.meeting.status == MeetingStatus.CLOSED:
            self.count_against_ballots_and_chain()
        else:
            self.box_while_open()
        return self.result

    def online_against_the_chain(self):
        cast = self.events["deliberation.vote.cast"]
        chained = [e.payload.get("voter") for e in cast]
        if sorted(chained) != sorted(self.online_voters):
            self.problems.append(
                _("网上投票记录（%(p)d 人）与审计链中的投票事件（%(e)d 条）不一致")
                % {"p": len(self.online_voters), "e": len(chained)}
            )
        choices = {
            e.payload.get("voter"): e.payload["choice"] for e in cast if "choice" in e.payload
        }
        named = {v: c for ch, _r, c, v in self.ballots if ch == "online" and v is not None}
        if choices and named != choices:
            self.problems.append(_("记名网上选票与审计链中记录的表决意见不符：有选票被改动"))

    def list_against_the_chain(self):
        opened = self.events["deliberation.vote.open"]
        listed = opened[-1].payload.get("attendance_sha256") if opened else None
        if listed and listed != digest_ids(vid for vid, *_rest in self.attendance):
            self.problems.append(
                _("应到名单与开始表决时审计链记录的名单不符：有人被加入或移出名单")
            )

    def hall_against_the_chain(self):
        hall = self.events["deliberation.vote.hall"]
        self.hall_voters_against(hall)
        self.hall_ballots_against(hall)
        if any("present_ids" in e.payload for e in hall) or not hall:
            self.hall_attendance_against(hall)

    def hall_voters_against(self, hall):
        chained_voters = sum(int(e.payload.get("voters") or 0) for e in hall)
        if chained_voters != self.voters["hall"]:
            self.problems.append(
                _("会场投票记录（%(p)d 人）与审计链登记的会场投票人数（%(e)d）不一致")
                % {"p": self.voters["hall"], "e": chained_voters}
            )

    def hall_ballots_against(self, hall):
        tally, votes = Counter(), {}
        for event in hall:
            for choice, n in (event.payload.get("tally") or {}).items():
                tally[choice] += int(n)
            votes.update(event.payload.get("votes") or {})
        named = {str(v): c for ch, _r, c, v in self.ballots if ch == "hall" and v is not None}
        paper = Counter(c for ch, _r, c, v in self.ballots if ch == "hall" and v is None)
        if named != votes or +paper != +tally:
            self.problems.append(_("会场选票与审计链登记的会场投票不符：有选票被改动"))

    def hall_attendance_against(self, hall):
        chained = {}
        for event in hall:
            chained.update(event.payload.get("households") or {})
        came = {str(vid): household for vid, present, _e, household in self.attendance if present}
        if came != chained:
            self.problems.append(
                _("到会登记与审计链记录的会场到会人员（及所代表的户）不符：出席记录被改动")
            )

    def count_against_ballots_and_chain(self):
        self.ballots_against_participations()
        self.stored_count_against_recount()
        counted = (
            self.events["deliberation.vote.close"] + self.events["deliberation.meeting.record"]
        )
        if not counted:
            self.problems.append(_("审计链中没有这次计票的事件"))
            return
        event = max(counted, key=lambda e: (e.chain, e.seq))
        verdict = event.payload.get("verdict") or {}
        self.count_event_against_recount(event, verdict)
        self.attendance_against(verdict)

    def ballots_against_participations(self):
        problems = self.problems
        for channel, label in (("online", _("网上投票")), ("hall", _("会场投票"))):
            if self.by_channel[channel] != self.voters[channel]:
                problems.append(
                    _("%(ch)s：选票 %(b)d 张，投票记录 %(p)d 人，不一致")
                    % {"ch": label, "b": self.by_channel[channel], "p": self.voters[channel]}
                )
        named = Counter(v for _ch, _r, _c, v in self.ballots if v is not None)
        if any(n > 1 for n in named.values()) or set(named) - {v for v, _c in self.participations}:
            problems.append(_("有记名选票没有对应的投票记录，或同一人有两张选票"))
        if self.blobs:
            problems.append(_("已计票的会议仍有 %d 张未开启的密封选票") % len(self.blobs))

    def stored_count_against_recount(self):
        meeting = self.meeting
        stored = {"yes": meeting.yes, "no": meeting.no, "abstain": meeting.abstain}
        if stored != self.tally:
            self.problems.append(
                _("存储的票数（赞成 %(sy)d、反对 %(sn)d、弃权 %(sa)d）与重新计票不符")
                % {"sy": stored["yes"], "sn": stored["no"], "sa": stored["abstain"]}
            )
        if (meeting.verdict or {}).get("tally") not in (None, self.tally):
            self.problems.append(_("结论依据中的票数与重新计票不符"))

    def count_event_against_recount(self, event, verdict: dict):
        problems = self.problems
        if verdict.get("tally") != self.tally:
            problems.append(_("审计链记录的票数与重新计票不符"))
        if verdict.get("passed") is not None and verdict.get("passed") != self.meeting.passed:
            problems.append(_("审计链记录的表决结果与存储的结果不符"))
        chained_digest = event.payload.get("ballots_sha256")
        if chained_digest and chained_digest != digest(self.ballots):
            problems.append(_("选票与计票时审计链记录的指纹（SHA-256）不符：有选票被改动"))
        chained_count = event.payload.get("participations")
        if chained_count is not None and chained_count != len(self.participations):
            problems.append(
                _("投票记录（%(p)d 人）与计票时审计链记录的人数（%(e)d）不符")
                % {"p": len(self.participations), "e": chained_count}
            )

    def attendance_against(self, verdict: dict):
        meeting, problems = self.meeting, self.problems
        facts = verdict.get("attendance")
        if facts:
            now = attendance_facts(
                self.attendance,
                self.online_voters,
                online_counts_present=bool(facts.get("online_counts_present")),
            )
            for key, what in (
                ("listed_sha256", _("应到名单")),
                ("should_sha256", _("应到人员（扣除请假）")),
                ("present_sha256", _("到会名单及所代表的户")),
            ):
                if facts.get(key) != now[key]:
                    problems.append(_("%s与计票时审计链记录的不符：出席记录被改动") % what)
        quorum = verdict.get("quorum") or {}
        if quorum and (quorum.get("count"), quorum.get("total")) != (
            meeting.present,
            meeting.should_attend,
        ):
            problems.append(_("存储的应到/实到人数与计票时审计链记录的不符"))
        households = verdict.get("quorum_households") or {}
        if households and (households.get("count"), households.get("total")) != (
            meeting.households_present,
            meeting.households_total,
        ):
            problems.append(_("存储的到会户数与计票时审计链记录的不符"))

    def box_while_open(self):
        if len(set(self.blobs)) != len(self.blobs):
            self.problems.append(_("票箱中有重复的密封选票（被复制）"))
        online = self.voters["online"]
        if self.meeting.matter.ballot_mode == "secret":
            legacy = sum(1 for ch, _r, _c, v in self.ballots if ch == "online" and v is None)
            if len(self.blobs) + legacy != online:
                self.problems.append(
                    _("票箱中的密封选票（%(b)d 张）与网上投票人数（%(p)d 人）不符")
                    % {"b": len(self.blobs) + legacy, "p": online}
                )
        elif online != self.by_channel["online"]:
            self.problems.append(
                _("网上选票 %(b)d 张，网上投票记录 %(p)d 人，不一致")
                % {"b": self.by_channel["online"], "p": online}
            )


def recount_problems() -> list[str]:
    """Every meeting of every village whose recount fails (for `verify_audit`)."""
    meetings = Meeting.objects.select_related("matter").order_by("pk")
    return [str(r) for r in recount(meetings) if not r.ok]
