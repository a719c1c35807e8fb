"""A matter's audit trail as an inspector reads it (the trail page, `GET
/api/v1/matters/{id}/audit` and its PDF): meetings, publications, versions, compliance flags,
the supervision committee's notes and — on first use — the chain's events and checks."""

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from village import audit, log_actions
from village.models import AuditEvent
from village.selectors import supervision_row

from . import compliance, recount
from .models import Matter, Step


class Trail(dict):
    """What `matter_trail` returns; read it as `trail[key]` (a template's `trail.key`). The
    audit events and the chain's head and check are read on first use: checking the chain
    recomputes every row of the village's chain, every app's events included, and only the
    screens that show it to an inspector (the trail page, the audit API and its document)
    need it — not the matter's page or a printed resolution."""

    def __missing__(self, key):
        matter = self["matter"]
        if key == "events":
            self["events"] = _trail_events(matter)
        elif key in ("chain_ok", "chain_problem"):
            problem = audit.verify_chain(audit.chain_key(village=matter.village))
            self["chain_ok"] = problem is None
            self["chain_problem"] = str(problem) if problem else None
        elif key in ("recount", "recount_ok"):
            recounted = recount.recount(list(matter.meetings.all()))
            self["recount"] = [r.as_dict() for r in recounted]
            self["recount_ok"] = all(r.ok for r in recounted)
        elif key in ("chain_head", "chain_seq"):
            head = audit.head_of(matter.village)
            self["chain_head"] = head.hash if head else None
            self["chain_seq"] = head.seq if head else 0
        else:
            raise KeyError(key)
        return self[key]


def trail_events(matter: Matter) -> QuerySet[AuditEvent]:
    """The matter's events in the village's audit chain (the trail's "全部事件")."""
    return AuditEvent.objects.filter(chain=audit.chain_key(village=matter.village)).filter(
        Q(object_type="deliberation.matter", object_id=str(matter.pk))
        | Q(payload__matter=matter.pk)
    )


def _trail_events(matter: Matter) -> list[AuditEvent]:
    events = list(trail_events(matter).order_by("seq"))
    for event in events:
        # The registered name of the action (village.log_actions), never its key.
        event.action_label = str(log_actions.ACTIONS.get(event.action, event.action))
    return events


def matter_trail(matter: Matter) -> Trail:
    """Everything an inspector reads about one matter, as plain data (JSON and the pages):
    `matter`, `meetings`, `publications`, `updates`, `versions`, `flags`, `red_flags`,
    `compliance` (compliance.summary: "not_started", "passed" or "failed"), and —
    read on first use (see Trail) — `events`, `chain_ok`, `chain_problem`, `chain_head`,
    `chain_seq`, `recount` (each meeting recounted from its ballots, participations and the
    chain; deliberation/recount.py) and `recount_ok`.
    Its queries do not grow with the number of meetings."""
    # What the meetings' rows and the compliance checks read, one query each for all meetings.
    prefetch_related_objects(
        [matter],
        "meetings__observers",
        "meetings__participations",
        "meetings__ballots",
        "milestones",
        "updates",
    )
    # The committee's notes, read once for the checks and the rows.
    notes = compliance.supervision_of(matter, list(matter.meetings.all()))
    matter.supervision_notes = notes
    try:
        flags = compliance.check_matter(matter)
    finally:
        del matter.supervision_notes
    meetings = []
    for m in matter.meetings.all():
        meetings.append(
            {
                "id": m.pk,
                "step": m.step,
                "step_label": str(Step(m.step).label),
                "joint": m.joint,
                "version": m.version.number,
                "body": m.body,
                "body_label": m.get_body_display(),
                "held_on": m.held_on,
                "place": m.place,
                "chair": m.chair.name if m.chair else None,
                "recorder": m.recorder.name if m.recorder else None,
                "status": m.status,
                "should_attend": m.should_attend,
                "present": m.present,
                "households_total": m.households_total,
                "households_present": m.households_present,
                "yes": m.yes,
                "no": m.no,
                "abstain": m.abstain,
                "quorum_met": m.quorum_met,
                "passed": m.passed,
                "verdict": m.verdict,
                "minutes": m.minutes,
                "frozen_sha256": m.frozen_hash or None,
                "vote_opens_at": m.vote_opens_at,
                "vote_closes_at": m.vote_closes_at,
                "observers": [f"{o.name}（{o.capacity}）" for o in m.observers.all()],
            }
        )
    return Trail(
        matter=matter,
        meetings=meetings,
        publications=list(matter.publications.all()),
        updates=list(matter.updates.all()),
        versions=list(matter.versions.all()),
        flags=flags,
        red_flags=[f for f in flags if not f.ok],
        compliance=compliance.summary(flags),
        supervision=supervision_rows(matter, notes),
        advisories=list(matter.advisories.select_related("villager")),
        milestones=list(matter.milestones.all()),
        budget=budget_of(matter),
    )


def budget_of(matter: Matter) -> dict:
    """The budget (the matter's estimated amount) against the latest reported spend and
    progress: {"budget_fen", "spent_fen", "percent"} (None where not reported)."""
    spent = next((u for u in reversed(matter.updates.all()) if u.spent_fen is not None), None)
    progress = next((u for u in reversed(matter.updates.all()) if u.percent is not None), None)
    return {
        "budget_fen": matter.estimated_amount_fen,
        "spent_fen": spent.spent_fen if spent else None,
        "percent": progress.percent if progress else None,
    }


def supervision_rows(matter: Matter, notes: dict) -> list[dict]:
    """The supervision committee's notes on a matter and its meetings, oldest first, as the
    trail page, the audit API and the PDF show them."""
    steps = {str(m.pk): m for m in matter.meetings.all()}
    rows = []
    for (kind, pk), found in notes.items():
        if kind == "deliberation.matter" and pk == str(matter.pk):
            on = _("议题")
        elif kind == "deliberation.meeting" and pk in steps:
            m = steps[pk]
            on = _("%(step)s（%(day)s）计票") % {
                "step": str(Step(m.step).label),
                "day": m.held_on.isoformat(),
            }
        else:
            continue
        rows.extend(supervision_row(note, on) for note in found)
    rows.sort(key=lambda r: r["at"])
    return rows
