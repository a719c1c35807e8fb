"""Compliance checks an inspector reads: computed from the records, each flag with a reason."""

from dataclasses import asdict, dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


def check_matter(matter: Matter) -> list[Flag]:
    """All flags of a matter (ok or not). Uses prefetched meetings/publications when present."""
    flags: list[Flag] = []
    ruleset = matter.village.rules
    meetings = [m for m in matter.meetings.all() if m.version.number == matter.version]
    meetings.sort(key=lambda m: (m.held_on, m.id))
    by_step = {}
    for m in meetings:
        by_step.setdefault(m.step, m)
        if m.joint:
            by_step.setdefault(Step.COMMITTEES, m)
    reached = {
        MatterStatus.VOTING: 4,
        MatterStatus.RESOLVED: 4,
        MatterStatus.PUBLISHING: 5,
        MatterStatus.IMPLEMENTING: 5,
        MatterStatus.RESULT_PUBLISHING: 6,
        MatterStatus.ARCHIVED: 6,
    }.get(matter.status, 0)
    # 1. steps missing or out of order
    if reached >= 4:
        missing = [s for s in STEPS_BEFORE_VOTE if s not in by_step or by_step[s].passed is False]
        if missing:
            names = "、".join(str(Step(s).label) for s in missing)
            flags.append(Flag("step_missing", False, _("缺少或未通过的步骤：%s") % names))
        else:
            flags.append(Flag("step_missing", True, _("党支部提议、两委商议、党员大会审议齐全")))
    order_ok = True
    previous = None
    for m in meetings:
        if previous and (m.step < previous.step or m.held_on < previous.held_on):
            order_ok = False
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
    if order_ok and meetings:
        flags.append(Flag("step_order", True, _("各步骤按顺序召开")))
    # 2–3. quorum and pass, recomputed from the stored numbers and the current rule set
    for m in meetings:
        if m.status != MeetingStatus.CLOSED:
            continue
        count = rules.Count(
            m.should_attend,
            m.present,
            m.households_total,
            m.households_present,
            m.yes,
            m.no,
            m.abstain,
        )
        verdict = rules.verdict(ruleset, m.body, count)
        stored = m.verdict or {}
        step_name = str(Step(m.step).label)
        quorum_ok = verdict["quorum_met"]
        flags.append(
            Flag(
                "quorum",
                quorum_ok or m.passed is False,
                (
                    _("%(s)s：到会 %(p)d / 应到 %(t)d，要求 %(r)s（%(src)s）")
                    % {
                        "s": step_name,
                        "p": m.present,
                        "t": m.should_attend,
                        "r": verdict["quorum"]["rule"],
                        "src": verdict["quorum"]["source"],
                    }
                ),
                m.step,
            )
        )
        if m.passed and not verdict["passed"]:
            flags.append(
                Flag(
                    "pass_rule",
                    False,
                    _("%(s)s记为通过，但赞成 %(y)d 票不满足 %(r)s")
                    % {"s": step_name, "y": m.yes, "r": verdict["pass"]["rule"]},
                    m.step,
                )
            )
        elif m.passed:
            flags.append(
                Flag(
                    "pass_rule",
                    True,
                    _("%(s)s：赞成 %(y)d 票，满足 %(r)s（基数 %(t)d）")
                    % {
                        "s": step_name,
                        "y": m.yes,
                        "r": verdict["pass"]["rule"],
                        "t": verdict["pass"]["total"],
                    },
                    m.step,
                )
            )
        if stored and stored.get("passed") != m.passed:
            flags.append(
                Flag("pass_rule", False, _("%s：记录的结论与计票不符") % step_name, m.step)
            )
        # 8. minutes
        if not m.minutes.strip():
            flags.append(Flag("minutes_missing", False, _("%s缺少会议纪要") % step_name, m.step))
    if meetings and all(m.minutes.strip() for m in meetings if m.status == MeetingStatus.CLOSED):
        flags.append(Flag("minutes_missing", True, _("各次会议均有纪要")))
    # 4–5. votes inside the window; the text unchanged since freezing
    vote = by_step.get(Step.RESOLUTION)
    if vote is not None:
        late = [
            p
            for p in vote.participations.all()
            if p.channel == Channel.ONLINE
            and not (vote.vote_opens_at <= p.cast_at < vote.vote_closes_at)
        ]
        if late:
            flags.append(
                Flag(
                    "vote_window",
                    False,
                    _("%d 张网上选票不在投票时间内") % len(late),
                    Step.RESOLUTION,
                )
            )
        else:
            flags.append(Flag("vote_window", True, _("网上选票均在投票时间内"), Step.RESOLUTION))
        current = vote.version
        text_ok = vote.frozen_hash == current.sha256 == matter.text_hash and all(
            b.text_hash == vote.frozen_hash for b in vote.ballots.all()
        )
        flags.append(
            Flag(
                "text_changed",
                text_ok,
                _("冻结后文本未改变（SHA-256 %s…）") % vote.frozen_hash[:16]
                if text_ok
                else _("冻结后文本被改动：当前文本指纹与表决时不一致"),
                Step.RESOLUTION,
            )
        )
    # 6–7. publications long enough; objections answered
    now = timezone.now()
    for p in matter.publications.all():
        name = str(PublicationKind(p.kind).label)
        end = p.closed_at or now
        required = p.starts_at + timezone.timedelta(days=p.required_days)
        if p.closed_at and p.closed_at < required:
            flags.append(
                Flag(
                    "publication_short",
                    False,
                    _("%(n)s只公开了 %(h)d 小时，规定 %(d)d 天（%(src)s）")
                    % {
                        "n": name,
                        "h": int((end - p.starts_at).total_seconds() // 3600),
                        "d": p.required_days,
                        "src": p.rule_source,
                    },
                )
            )
        elif p.ends_at - p.starts_at < timezone.timedelta(days=p.required_days):
            flags.append(
                Flag(
                    "publication_short",
                    False,
                    _("%(n)s公开期短于规定的 %(d)d 天") % {"n": name, "d": p.required_days},
                )
            )
        else:
            flags.append(
                Flag(
                    "publication_short",
                    True,
                    _("%(n)s公开 %(d)d 天（%(src)s）")
                    % {"n": name, "d": p.required_days, "src": p.rule_source},
                )
            )
        unanswered = [o for o in p.objections.all() if not o.answered_at]
        if p.closed_at and unanswered:
            flags.append(
                Flag(
                    "objection_unanswered",
                    False,
                    _("%(n)s结束时仍有 %(k)d 条异议未答复") % {"n": name, "k": len(unanswered)},
                )
            )
        elif p.objections.all():
            flags.append(
                Flag(
                    "objection_unanswered",
                    not unanswered,
                    _("%(n)s：异议 %(k)d 条，未答复 %(u)d 条")
                    % {"n": name, "k": len(p.objections.all()), "u": len(unanswered)},
                )
            )
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
