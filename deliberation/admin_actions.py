"""The POSTs of a matter's admin page: one table of actions (what each reads from the form,
the service it calls, what it says on success) driven by one view, `matter_action`. Every
action answers with the matter's page again, a message on top."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from village import permissions
from village.models import Household

from . import selectors, services
from .admin_forms import MilestoneForm, UpdateForm
from .admin_views import (
    CloseVoteForm,
    MeetingForm,
    OpenVoteForm,
    ReviseForm,
    back_to_matter,
    matter_or_404,
    people_choices,
    roster_filter,
)
from .models import BallotMode, Choice, Matter, MatterStatus, Meeting, Milestone, Objection
from .permissions import DeliberationAction


class FormRejected(Exception):
    """What the form lacks, said to the user before any service is called."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def form_errors(form) -> str:
    """Form errors as a secretary reads them: the field's label, not its name."""
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        # The minutes' own message names the field and says what to write.
        if name == "minutes" or name not in form.fields:
            parts.append(text)
        else:
            parts.append(f"{form.fields[name].label}：{text}")
    return _("请检查表单：") + "；".join(parts)


def parse_observers(text: str) -> list[tuple[str, str]]:
    """Observers, one a line: "name，capacity" (or a comma or a space between)."""
    result = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        for sep in ("，", ",", " "):
            if sep in line:
                name, capacity = line.split(sep, 1)
                result.append((name.strip(), capacity.strip()))
                break
        else:
            result.append((line, ""))
    return result


def posted_ids(request, prefix: str) -> list[int]:
    """The villager ids of the posted keys `<prefix><id>` (ticked boxes)."""
    return [
        int(k[len(prefix) :])
        for k in request.POST
        if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]


def posted_choices(request, prefix: str = "vote_") -> dict[int, str]:
    """Each villager's posted choice, from the keys `<prefix><id>` with a value."""
    votes = {}
    for key, value in request.POST.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit() and value:
            votes[int(key[len(prefix) :])] = value
    return votes


# --- what each action reads from the POST (FormRejected when something is missing) -------------


def _meeting_data(request, matter: Matter) -> dict:
    form = MeetingForm(request.POST, request.FILES, matter=matter, people=people_choices(matter))
    if not form.is_valid():
        raise FormRejected(form_errors(form))
    data = form.cleaned_data
    exemptions = {}
    for key, value in request.POST.items():
        if key.startswith("exempt_") and key[7:].isdigit() and value.strip():
            exemptions[int(key[7:])] = value.strip()
    return {
        "held_on": data["held_on"],
        "place": data["place"],
        "chair": data["chair"],
        "recorder": data["recorder"],
        "minutes": data["minutes"],
        "present": posted_ids(request, "present_"),
        "votes": posted_choices(request),
        "exemptions": exemptions,
        "observers": parse_observers(data["observers"]),
        "register_photo": data.get("register_photo"),
        "joint": bool(data.get("joint")),
    }


def _open_vote_data(request, matter: Matter) -> dict:
    form = OpenVoteForm(request.POST, people=people_choices(matter))
    if not form.is_valid():
        raise FormRejected(
            _("请检查表单：") + "；".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        )
    return form.cleaned_data


def _hall_data(request, matter: Matter) -> dict:
    households = {}
    for key, value in request.POST.items():
        if key.startswith("household_") and key[10:].isdigit() and value.strip():
            number = value.strip()
            household = Household.objects.filter(village=matter.village, number=number).first()
            if household is None:
                raise FormRejected(_("户号 %s 不存在。") % number)
            households[int(key[10:])] = household.pk
    tally = None
    if matter.ballot_mode == BallotMode.SECRET:
        try:
            tally = {c: int(request.POST.get(f"tally_{c}") or 0) for c in Choice.values}
        except ValueError as exc:
            raise FormRejected(_("票数必须是整数。")) from exc
    present, votes = posted_ids(request, "present_"), posted_choices(request)
    if request.POST.get("all_matching"):
        present, votes = _all_matching(request, matter, present, votes)
    return {"present": present, "households": households, "votes": votes, "tally": tally}


def _all_matching(request, matter: Matter, present: list[int], votes: dict[int, str]):
    """The vote list's "select all matching": everyone of the list as filtered (on every page)
    not yet marked present is marked present; in an open ballot, those of them who have not
    voted and have no choice of their own take the choice given for them all, if any."""
    meeting = selectors.current_vote_meeting(matter)
    matching = selectors.attendance_matching(meeting, **roster_filter(request.POST))
    ids = list(matching.filter(present=False).values_list("villager_id", flat=True))
    choice = request.POST.get("all_matching_choice")
    if choice and matter.ballot_mode != BallotMode.SECRET:
        voted = set(meeting.participations.values_list("voter_id", flat=True))
        votes = {**{v: choice for v in ids if v not in voted}, **votes}
    return sorted(set(present) | set(ids)), votes


def _form_data(form_class, message) -> Callable:
    """Read the POST with `form_class`; refuse with `message` when it is not valid."""

    def read(request, matter):
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            raise FormRejected(str(message))
        return form.cleaned_data

    return read


def _posted(*names) -> Callable:
    """The posted values of `names` (blank when missing), for the service to judge."""
    return lambda request, matter: {name: request.POST.get(name, "") for name in names}


def _nothing(request, matter) -> dict:
    return {}


# --- the services, called with the actor, the matter and the data read ------------------------


def _publish(*, actor, matter: Matter, text: str):
    """Step 6's result once implementation is under way, else step 5's resolution."""
    if matter.status == MatterStatus.IMPLEMENTING:
        return services.result_publish(actor=actor, matter=matter, text=text)
    return services.matter_publish(actor=actor, matter=matter, text=text)


def _publish_message(matter: Matter) -> str:
    if matter.status == MatterStatus.IMPLEMENTING:
        return _("实施结果已公开。")
    return _("决议已公开。")


def _answer(*, actor, matter: Matter, objection: Objection, answer: str):
    return services.objection_answer(actor=actor, objection=objection, answer=answer)


def _advise(*, actor, matter: Matter, text: str):
    return services.advisory_add(actor=actor, matter=matter, text=text)


def _milestone_done(*, actor, matter: Matter, milestone: Milestone):
    return services.milestone_done(actor=actor, milestone=milestone)


def _supervision_data(request, matter: Matter) -> dict:
    """The supervision form: its subject ("matter", or a meeting of this matter by id), the
    stance and the text."""
    subject = request.POST.get("subject", "")
    meeting = None
    if subject != "matter":
        digits = subject.isascii() and subject.isdigit() and len(subject) < 19
        meeting = matter.meetings.filter(pk=int(subject)).first() if digits else None
        if meeting is None:
            raise FormRejected(_("请选择会签的对象。"))
    return {
        "meeting": meeting,
        "stance": request.POST.get("stance", ""),
        "text": request.POST.get("text", ""),
    }


def _supervise(*, actor, matter: Matter, meeting: Meeting | None, stance: str, text: str):
    """A meeting's tally: countersign or dispute; the matter: an opinion."""
    if meeting is None:
        if stance != "opinion":
            raise ValidationError(_("对议题只能提出监督意见；会签或异议请选择会议计票。"))
        return services.matter_opinion(actor=actor, matter=matter, text=text)
    return services.meeting_supervise(actor=actor, meeting=meeting, stance=stance, text=text)


@dataclass(frozen=True)
class MatterAction:
    """One POST of the matter page: its URL (path and name), the permission it needs, what it
    reads from the form, the service it calls, and the message when that succeeds (a text, or
    a function of the matter as it was before the action)."""

    route: str
    url_name: str
    read: Callable
    call: Callable
    success: object
    permission: str = DeliberationAction.MATTER_MANAGE
    # Objects named in the URL besides the matter, loaded (or 404) before the permission check.
    load: Callable = field(default=lambda matter: {})

    def success_message(self, matter: Matter) -> str:
        return self.success(matter) if callable(self.success) else str(self.success)


MATTER_ACTIONS: dict[str, MatterAction] = {
    "record": MatterAction(
        "record/",
        "deliberation_admin_record",
        _meeting_data,
        services.meeting_record,
        gettext_lazy("会议已记录。"),
    ),
    "open_vote": MatterAction(
        "open-vote/",
        "deliberation_admin_open_vote",
        _open_vote_data,
        services.matter_open_vote,
        gettext_lazy("文本已冻结，表决已开始。"),
    ),
    "hall": MatterAction(
        "hall/",
        "deliberation_admin_hall",
        _hall_data,
        services.hall_votes_enter,
        gettext_lazy("会场投票已登记。"),
    ),
    "close_vote": MatterAction(
        "close-vote/",
        "deliberation_admin_close_vote",
        _form_data(CloseVoteForm, gettext_lazy("请填写会议纪要。")),
        services.matter_close_vote,
        gettext_lazy("已计票。"),
    ),
    "publish": MatterAction(
        "publish/",
        "deliberation_admin_publish",
        _posted("text"),
        _publish,
        _publish_message,
    ),
    "answer": MatterAction(
        "objections/<int:objection_id>/answer/",
        "deliberation_admin_answer",
        _posted("answer"),
        _answer,
        gettext_lazy("异议已答复。"),
        permission=DeliberationAction.OBJECTION_ANSWER,
        load=lambda matter, objection_id: {
            "objection": get_object_or_404(Objection, pk=objection_id, publication__matter=matter)
        },
    ),
    "close_publication": MatterAction(
        "close-publication/",
        "deliberation_admin_close_publication",
        _nothing,
        services.publication_close,
        gettext_lazy("公开期已结束。"),
    ),
    "update": MatterAction(
        "update/",
        "deliberation_admin_update",
        _form_data(UpdateForm, gettext_lazy("请填写实施进展。")),
        services.implementation_add,
        gettext_lazy("实施进展已登记。"),
    ),
    "revise": MatterAction(
        "revise/",
        "deliberation_admin_revise",
        _form_data(ReviseForm, gettext_lazy("请填写议题、内容和修改原因。")),
        services.matter_revise,
        gettext_lazy("已形成新版本，请从党支部提议重新开始。"),
    ),
    # 村务监督委员会 (组织法 Art. 32): countersign or dispute a tally; an opinion on the matter.
    "supervise": MatterAction(
        "supervise/",
        "deliberation_admin_supervise",
        _supervision_data,
        _supervise,
        gettext_lazy("监督意见已记录。"),
        permission=permissions.Action.SUPERVISE,
    ),
    "advise": MatterAction(
        "advise/",
        "deliberation_admin_advise",
        _posted("text"),
        _advise,
        gettext_lazy("乡贤参事意见已记录。"),
        permission=DeliberationAction.ADVISE,
    ),
    "milestone": MatterAction(
        "milestones/",
        "deliberation_admin_milestone",
        _form_data(MilestoneForm, gettext_lazy("请填写节点名称和计划完成日期。")),
        services.milestone_add,
        gettext_lazy("实施节点已安排。"),
    ),
    "milestone_done": MatterAction(
        "milestones/<int:milestone_id>/done/",
        "deliberation_admin_milestone_done",
        _nothing,
        _milestone_done,
        gettext_lazy("节点已完成。"),
        load=lambda matter, milestone_id: {
            "milestone": get_object_or_404(Milestone, pk=milestone_id, matter=matter)
        },
    ),
    "withdraw": MatterAction(
        "withdraw/",
        "deliberation_admin_withdraw",
        _posted("reason"),
        services.matter_withdraw,
        gettext_lazy("议题已撤回。"),
    ),
}


@require_POST
def matter_action(request, matter_id, action, **url_kwargs):
    """Run one action of the table on the matter: check, read the form, call the service, say
    how it went (the service's own messages when it refuses)."""
    spec = MATTER_ACTIONS[action]
    matter = matter_or_404(request, matter_id)
    loaded = spec.load(matter, **url_kwargs)
    permissions.require(request.user, spec.permission, matter.village)
    try:
        data = spec.read(request, matter)
    except FormRejected as exc:
        messages.error(request, exc.message)
        return back_to_matter(matter, request.POST)
    success = spec.success_message(matter)
    try:
        spec.call(actor=request.user, matter=matter, **loaded, **data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, success)
    # The vote list's filter and page, when the form came from it: back to the same rows.
    return back_to_matter(matter, request.POST)


def urls() -> list:
    """The actions' admin URLs, under the admin's `matters/<id>/`."""
    return [
        path(
            f"matters/<int:matter_id>/{spec.route}",
            matter_action,
            {"action": name},
            name=spec.url_name,
        )
        for name, spec in MATTER_ACTIONS.items()
    ]
