"""Compliance checks an inspector reads: computed from the records, each flag with a reason."""

import re
from dataclasses import asdict, dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village.models import Stance
from village.selectors import cadre_households, supervision_notes

from . import rules
from .models import (
    Channel,
    Matter,
    MatterStatus,
    MeetingStatus,
    PublicationKind,
    Step,
)

# The name of each check, as inspectors read it; the code stays for the API and the tests.
CHECKS = {
    "step_missing": gettext_lazy("步骤齐全"),
    "step_order": gettext_lazy("步骤顺序"),
    "quorum": gettext_lazy("法定人数"),
    "pass_rule": gettext_lazy("通过规则"),
    "minutes_missing": gettext_lazy("会议纪要"),
    "vote_window": gettext_lazy("投票时间"),
    "text_changed": gettext_lazy("冻结文本"),
    "publication_short": gettext_lazy("公开天数"),
    "objection_unanswered": gettext_lazy("异议答复"),
    "supervision": gettext_lazy("监委会会签"),
    "conflict": gettext_lazy("回避"),
    "milestone": gettext_lazy("实施节点"),
    "rule_set": gettext_lazy("规则版本"),
}


@dataclass
class Flag:
    code: str
    ok: bool
    reason: str
    step: int | None = None

    @property
    def label(self) -> str:
        return str(CHECKS[self.code])

    def as_dict(self):
        return asdict(self)


STEPS_BEFORE_VOTE = [Step.BRANCH, Step.COMMITTEES, Step.PARTY]


# How far a matter got: the step whose checks apply (4: the vote, 5 and 6: publications).
REACHED = {
    MatterStatus.VOTING: 4,
    MatterStatus.RESOLVED: 4,
    MatterStatus.PUBLISHING: 5,
    MatterStatus.IMPLEMENTING: 5,
    MatterStatus.RESULT_PUBLISHING: 6,
    MatterStatus.ARCHIVED: 6,
}


def current_meetings(matter: Matter) -> list:
    """The meetings of the matter's current version, in the order they were held."""
    meetings = [m for m in matter.meetings.all() if m.version.number == matter.version]
    meetings.sort(key=lambda m: (m.held_on, m.id))
    return meetings


def meetings_by_step(meetings: list) -> dict:
    """The first meeting of each step; a joint meeting also stands for the two committees'."""
    by_step = {}
    for m in meetings:
        by_step.setdefault(m.step, m)
        if m.joint:
            by_step.setdefault(Step.COMMITTEES, m)
    return by_step


def check_steps_complete(matter: Matter, by_step: dict) -> list[Flag]:
    """1. From the vote on: steps 1–3 all held and passed."""
    if REACHED.get(matter.status, 0) < 4:
        return []
    missing = [s for s in STEPS_BEFORE_VOTE if s not in by_step or by_step[s].passed is False]
    if missing:
        names = "、".join(str(Step(s).label) for s in missing)
        return [Flag("step_missing", False, _("缺少或未通过的步骤：%s") % names)]
    return [Flag("step_missing", True, _("党支部提议、两委商议、党员大会审议齐全"))]


def check_step_order(meetings: list) -> list[Flag]:
    """1. Each meeting after the one before it, in step and in date."""
    flags = []
    previous = None
    for m in meetings:
        if previous and (m.step < previous.step or m.held_on < previous.held_on):
            flags.append(
                Flag(
                    "step_order",
                    False,
                    _("第 %(a)d 步（%(d1)s）排在第 %(b)d 步（%(d2)s）之后")
                    % {"a": m.step, "d1": m.held_on, "b": previous.step, "d2": previous.held_on},
                    m.step,
                )
            )
        previous = m
    if not flags and meetings:
        flags.append(Flag("step_order", True, _("各步骤按顺序召开")))
    return flags


def recomputed_verdict(ruleset, meeting) -> dict:
    """The meeting's verdict recomputed from its stored numbers under `ruleset`: the version in
    force on the meeting's date (`check_matter`), or a proposed one (`verdict_changes`)."""
    m = meeting
    count = rules.Count(
        m.should_attend,
        m.present,
        m.households_total,
        m.households_present,
        m.yes,
        m.no,
        m.abstain,
    )
    return rules.verdict(ruleset, m.body, count)


def judged_by_version(village, meeting):
    """The rule set version that judged a counted meeting (named in its verdict); for a verdict
    stored before versions, the version in force on the meeting's day."""
    number = (meeting.verdict or {}).get("rule_set", {}).get("version")
    found = village.rule_version(number) if number else None
    return found or village.rules_on(meeting.held_on)


def check_rule_set_day(village, meeting, judged_by) -> list[Flag]:
    """13. The version that judged a meeting is the one of its day, and a meeting recorded after
    a new version took effect is not dated before it (a backdated record escapes stricter rules):
    either is red, for the inspector to check the date."""
    m = meeting
    of_the_day = village.rules_on(m.held_on)
    recorded = timezone.localdate(m.recorded_at) if m.recorded_at else m.held_on
    of_the_record = village.rules_on(recorded)
    if judged_by.version != of_the_day.version:
        reason = _("%(s)s：按第 %(a)d 版判定，会议日期 %(d)s 适用第 %(b)d 版") % {
            "s": str(Step(m.step).label),
            "a": judged_by.version,
            "d": m.held_on,
            "b": of_the_day.version,
        }
        return [Flag("rule_set", False, reason, m.step)]
    if of_the_record.version != of_the_day.version:
        reason = _(
            "%(s)s：会议日期 %(d)s 早于第 %(b)d 版生效日 %(e)s，"
            "却在其后（%(r)s）才登记，请核实会议日期"
        ) % {
            "s": str(Step(m.step).label),
            "d": m.held_on,
            "b": of_the_record.version,
            "e": of_the_record.effective_from,
            "r": recorded,
        }
        return [Flag("rule_set", False, reason, m.step)]
    return []


def check_quorum(meeting, verdict: dict) -> list[Flag]:
    """2. A closed meeting had its quorum (or was recorded as failed)."""
    m = meeting
    reason = _("%(s)s：到会 %(p)d / 应到 %(t)d，要求 %(r)s（%(src)s）") % {
        "s": str(Step(m.step).label),
        "p": m.present,
        "t": m.should_attend,
        "r": verdict["quorum"]["rule"],
        "src": verdict["quorum"]["source"],
    }
    return [Flag("quorum", verdict["quorum_met"] or m.passed is False, reason, m.step)]


def check_pass_rule(meeting, verdict: dict) -> list[Flag]:
    """3. A meeting recorded as passed meets the pass rule; the stored verdict agrees."""
    m = meeting
    step_name = str(Step(m.step).label)
    flags = []
    if m.passed and not verdict["passed"]:
        reason = _("%(s)s记为通过，但赞成 %(y)d 票不满足 %(r)s") % {
            "s": step_name,
            "y": m.yes,
            "r": verdict["pass"]["rule"],
        }
        flags.append(Flag("pass_rule", False, reason, m.step))
    elif m.passed:
        reason = _("%(s)s：赞成 %(y)d 票，满足 %(r)s（基数 %(t)d）") % {
            "s": step_name,
            "y": m.yes,
            "r": verdict["pass"]["rule"],
            "t": verdict["pass"]["total"],
        }
        flags.append(Flag("pass_rule", True, reason, m.step))
    stored = m.verdict or {}
    if stored and stored.get("passed") != m.passed:
        flags.append(Flag("pass_rule", False, _("%s：记录的结论与计票不符") % step_name, m.step))
    return flags


def check_meeting_minutes(meeting) -> list[Flag]:
    """8. A closed meeting has minutes."""
    if meeting.minutes.strip():
        return []
    step_name = str(Step(meeting.step).label)
    return [Flag("minutes_missing", False, _("%s缺少会议纪要") % step_name, meeting.step)]


def check_all_minutes(meetings: list) -> list[Flag]:
    """8. Every closed meeting has minutes: the one flag that says so."""
    if meetings and all(m.minutes.strip() for m in meetings if m.status == MeetingStatus.CLOSED):
        return [Flag("minutes_missing", True, _("各次会议均有纪要"))]
    return []


def check_vote_window(vote) -> list[Flag]:
    """4. Every online vote cast inside the vote's window."""
    late = [
        p
        for p in vote.participations.all()
        if p.channel == Channel.ONLINE
        and not (vote.vote_opens_at <= p.cast_at < vote.vote_closes_at)
    ]
    if late:
        reason = _("%d 张网上选票不在投票时间内") % len(late)
        return [Flag("vote_window", False, reason, Step.RESOLUTION)]
    return [Flag("vote_window", True, _("网上选票均在投票时间内"), Step.RESOLUTION)]


def check_frozen_text(matter: Matter, vote) -> list[Flag]:
    """5. The text unchanged since it was frozen: the vote's, its version's, the matter's and
    every ballot's fingerprint agree."""
    text_ok = vote.frozen_hash == vote.version.sha256 == matter.text_hash and all(
        b.text_hash == vote.frozen_hash for b in vote.ballots.all()
    )
    reason = (
        _("冻结后文本未改变（SHA-256 %s…）") % vote.frozen_hash[:16]
        if text_ok
        else _("冻结后文本被改动：当前文本指纹与表决时不一致")
    )
    return [Flag("text_changed", text_ok, reason, Step.RESOLUTION)]


def check_publication_days(publication) -> list[Flag]:
    """6. A publication ran (or is set to run) the rule set's number of days."""
    p = publication
    name = str(PublicationKind(p.kind).label)
    required = p.starts_at + timezone.timedelta(days=p.required_days)
    if p.closed_at and p.closed_at < required:
        reason = _("%(n)s只公开了 %(h)d 小时，规定 %(d)d 天（%(src)s）") % {
            "n": name,
            "h": int((p.closed_at - p.starts_at).total_seconds() // 3600),
            "d": p.required_days,
            "src": p.rule_source,
        }
        return [Flag("publication_short", False, reason)]
    if p.ends_at - p.starts_at < timezone.timedelta(days=p.required_days):
        reason = _("%(n)s公开期短于规定的 %(d)d 天") % {"n": name, "d": p.required_days}
        return [Flag("publication_short", False, reason)]
    reason = _("%(n)s公开 %(d)d 天（%(src)s）") % {
        "n": name,
        "d": p.required_days,
        "src": p.rule_source,
    }
    return [Flag("publication_short", True, reason)]


def check_objections(publication) -> list[Flag]:
    """7. Every objection to a publication answered (by its close)."""
    p = publication
    name = str(PublicationKind(p.kind).label)
    unanswered = [o for o in p.objections.all() if not o.answered_at]
    if p.closed_at and unanswered:
        reason = _("%(n)s结束时仍有 %(k)d 条异议未答复") % {"n": name, "k": len(unanswered)}
        return [Flag("objection_unanswered", False, reason)]
    if p.objections.all():
        reason = _("%(n)s：异议 %(k)d 条，未答复 %(u)d 条") % {
            "n": name,
            "k": len(p.objections.all()),
            "u": len(unanswered),
        }
        return [Flag("objection_unanswered", not unanswered, reason)]
    return []


def check_matter(matter: Matter) -> list[Flag]:
    """All flags of a matter (ok or not), in a fixed order. Uses prefetched meetings and
    publications when present."""
    meetings = current_meetings(matter)
    by_step = meetings_by_step(meetings)
    flags = [*check_steps_complete(matter, by_step), *check_step_order(meetings)]
    # 2–3 and 8, meeting by meeting: recomputed from the stored numbers under the rule set in
    # force on the meeting's date (a later version never re-judges it).
    for m in meetings:
        if m.status != MeetingStatus.CLOSED:
            continue
        judged_by = judged_by_version(matter.village, m)
        verdict = recomputed_verdict(judged_by, m)
        flags += check_rule_set_day(matter.village, m, judged_by)
        flags += check_quorum(m, verdict)
        flags += check_pass_rule(m, verdict)
        flags += check_meeting_minutes(m)
    flags += check_all_minutes(meetings)
    vote = by_step.get(Step.RESOLUTION)
    if vote is not None:
        flags += check_vote_window(vote)
        flags += check_frozen_text(matter, vote)
    for p in matter.publications.all():
        flags += check_publication_days(p)
        flags += check_objections(p)
    flags += check_supervision(matter, meetings)
    flags += check_conflicts(matter, meetings)
    flags += check_milestones(matter)
    return flags


def check_milestones(matter: Matter) -> list[Flag]:
    """12. Implementation milestones: one past its due date and not done is red; done ones are
    shown green with their dates (late ones say so)."""
    today = timezone.localdate()
    flags = []
    for m in matter.milestones.all():
        if m.done_on is None and m.due_on < today:
            flags.append(
                Flag(
                    "milestone",
                    False,
                    _("“%(t)s”逾期未完成（计划 %(due)s）") % {"t": m.title, "due": m.due_on},
                    Step.RESULT,
                )
            )
        elif m.done_on is not None:
            late = m.done_on > m.due_on
            flags.append(
                Flag(
                    "milestone",
                    True,
                    (
                        _("“%(t)s”逾期完成（计划 %(due)s，%(done)s 完成）")
                        if late
                        else _("“%(t)s”按期完成（计划 %(due)s，%(done)s 完成）")
                    )
                    % {"t": m.title, "due": m.due_on, "done": m.done_on},
                    Step.RESULT,
                )
            )
    return flags


def _names(text: str, number: str) -> bool:
    """Whether `text` names the household `number` (as a whole number, not a part of one)."""
    # ASCII edges: a Chinese character next to the number ("同意H-0011户") is no part of it.
    edge = "A-Za-z0-9_-"
    return re.search(rf"(?<![{edge}]){re.escape(number)}(?![{edge}])", text) is not None


def check_conflicts(matter: Matter, meetings: list) -> list[Flag]:
    """11. 回避: a cadre (the roster's household standing for spouse, parents, children and
    siblings living together) who voted in a meeting of a matter that names their household by
    its number — a 宅基地 or 低保 matter about them. Flagged for the inspector, with who and
    where; the vote itself stands (the meeting decides whether it must be held again)."""
    cadres = cadre_households(matter.village)
    text = f"{matter.title}\n{matter.body}"
    named = {vid: row for vid, row in cadres.items() if _names(text, row["household"])}
    flags = []
    for m in meetings:
        voted = sorted({p.voter_id for p in m.participations.all()} & named.keys())
        if voted:
            who = "、".join(
                _("%(role)s %(name)s（本户 %(h)s）")
                % {"role": named[v]["role"], "name": named[v]["name"], "h": named[v]["household"]}
                for v in voted
            )
            flags.append(
                Flag(
                    "conflict",
                    False,
                    _("%(s)s：%(who)s 参加了表决，议题涉及本户，应当回避")
                    % {"s": str(Step(m.step).label), "who": who},
                    m.step,
                )
            )
    return flags


def supervision_of(matter: Matter, meetings: list) -> dict:
    """The supervision committee's notes on the matter and its meetings: set by the pages that
    read many matters (one query for all), read here otherwise."""
    notes = getattr(matter, "supervision_notes", None)
    if notes is None:
        notes = supervision_notes([matter, *meetings])
    return notes


def check_supervision(matter: Matter, meetings: list) -> list[Flag]:
    """10. A closed meeting's tally the supervision committee disputed (组织法 Art. 32): red
    while a member's latest word on it is the dispute; countersigned tallies are shown green."""
    notes = supervision_of(matter, meetings)
    flags = []
    for m in meetings:
        latest = {}
        for note in notes.get(("deliberation.meeting", str(m.pk)), []):
            if note.stance in (Stance.COUNTERSIGN, Stance.DISPUTE):
                latest[note.created_by_id] = note
        if not latest:
            continue
        disputes = [n for n in latest.values() if n.stance == Stance.DISPUTE]
        step = str(Step(m.step).label)
        if disputes:
            reason = _("%(s)s：监委会对计票有异议（%(who)s：%(why)s）") % {
                "s": step,
                "who": "、".join(n.by for n in disputes),
                "why": "；".join(n.text for n in disputes),
            }
        else:
            reason = _("%(s)s：监委会已会签计票（%(who)s）") % {
                "s": step,
                "who": "、".join(n.by for n in latest.values()),
            }
        flags.append(Flag("supervision", not disputes, reason, m.step))
    return flags


def red_flags(matter: Matter) -> list[Flag]:
    return [f for f in check_matter(matter) if not f.ok]


# A matter's compliance in one word, for the pages and the API (`compliance`).
NOT_STARTED, PASSED, FAILED = "not_started", "passed", "failed"
SUMMARIES = {
    NOT_STARTED: gettext_lazy("尚未开始"),
    PASSED: gettext_lazy("合规检查全部通过"),
    FAILED: gettext_lazy("不合规"),
}


def summary(flags: list[Flag]) -> str:
    """Nothing to check yet — a draft, or a new version, with no meeting and no publication —
    is "not started", never "passed": an empty list of red flags is not a clean record."""
    if not flags:
        return NOT_STARTED
    return FAILED if any(not f.ok for f in flags) else PASSED


# Matters still on their way: what a proposed rule set version may concern.
PENDING = (
    MatterStatus.DELIBERATING,
    MatterStatus.VOTING,
    MatterStatus.RESOLVED,
    MatterStatus.PUBLISHING,
)


def verdict_changes(village, proposed) -> list[dict]:
    """Before a proposed version takes effect: each closed meeting of the village's pending
    matters whose verdict (quorum, passed) would differ under `proposed` from the verdict under
    the version it was judged by. Those meetings keep their verdict (a new version judges only
    what is held from its day on); the list says which matters the new rules would have turned,
    so the township weighs the change before it is in force."""
    matters = (
        Matter.objects.filter(village=village, status__in=PENDING)
        .select_related("village")
        .prefetch_related("meetings__version")
        .order_by("pk")
    )
    changes = []
    for matter in matters:
        matter.village = village  # one read of the versions for every matter
        for m in current_meetings(matter):
            if m.status != MeetingStatus.CLOSED:
                continue
            judged_by = village.rules_on(m.held_on)
            before = recomputed_verdict(judged_by, m)
            after = recomputed_verdict(proposed, m)
            if (before["quorum_met"], before["passed"]) != (after["quorum_met"], after["passed"]):
                changes.append(
                    {
                        "matter": matter,
                        "meeting": m,
                        "judged_by": judged_by,
                        "before": before,
                        "after": after,
                    }
                )
    return changes
