"""Cadre and inspector screens in the Wagtail admin ("议事" menu): a matter's page with its steps
as a timeline and the one action the current step allows; the township dashboard; the trail."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from village import documents, permissions
from village.models import Household, Villager
from village.selectors import areas_of

from . import documents as print_
from . import selectors, services
from .models import (
    BallotMode,
    Body,
    Category,
    Choice,
    Matter,
    MatterStatus,
    Meeting,
    MeetingStatus,
    Objection,
    Step,
    Suggestion,
)


def _matter(request, matter_id) -> Matter:
    try:
        matter = selectors.matter_detail(matter_id)
    except Matter.DoesNotExist as exc:
        raise Http404 from exc
    if not permissions.can(request.user, "matter.view", matter.village):
        raise Http404
    return matter


def _people_choices(matter):
    return Villager.objects.filter(village=matter.village).order_by("name")


# <input type="date"> and "datetime-local" accept only ISO values; the active locale's input
# format (zh-hans: 2026/11/27 12:30) would leave the initial values blank in the browser.
HTML_DATE, HTML_DATETIME = "%Y-%m-%d", "%Y-%m-%dT%H:%M"


class MeetingForm(forms.Form):
    # Changing the date (or the joint box) reloads the should-attend list below it at once
    # (matter.html; the list for a date: matter_page ?fragment=roster).
    held_on = forms.DateField(
        label=gettext_lazy("会议日期"),
        widget=forms.DateInput(attrs={"type": "date", "data-roster-date": ""}, format=HTML_DATE),
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    chair = forms.ModelChoiceField(
        label=gettext_lazy("主持人"), queryset=Villager.objects.none(), required=False
    )
    recorder = forms.ModelChoiceField(
        label=gettext_lazy("记录人"), queryset=Villager.objects.none(), required=False
    )
    minutes = forms.CharField(
        label=gettext_lazy("会议纪要"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("照会议记录本填写讨论情况和表决结果；没有纪要不能保存。"),
        error_messages={"required": services.MINUTES_REQUIRED},
    )
    observers = forms.CharField(
        label=gettext_lazy("列席人员（不计入人数，每行一人：姓名，身份）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    register_photo = forms.ImageField(label=gettext_lazy("签到表照片"), required=False)
    joint = forms.BooleanField(
        label=gettext_lazy("与两委商议合并召开（一肩挑）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-roster-joint": ""}),
    )

    def __init__(self, *args, matter, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = people
        self.fields["recorder"].queryset = people
        rules = matter.village.rules
        if not (matter.current_step == Step.BRANCH and rules.allow_joint_branch_committees):
            del self.fields["joint"]


def _form_errors(form) -> str:
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


class OpenVoteForm(forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("会议日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format=HTML_DATE),
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    chair = forms.ModelChoiceField(
        label=gettext_lazy("主持人"), queryset=Villager.objects.none(), required=False
    )
    recorder = forms.ModelChoiceField(
        label=gettext_lazy("记录人"), queryset=Villager.objects.none(), required=False
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("网上投票开始"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=HTML_DATETIME),
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("网上投票截止"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=HTML_DATETIME),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = people
        self.fields["recorder"].queryset = people


class CloseVoteForm(forms.Form):
    minutes = forms.CharField(
        label=gettext_lazy("会议纪要"), widget=forms.Textarea(attrs={"rows": 4})
    )
    register_photo = forms.ImageField(label=gettext_lazy("签到表照片"), required=False)


class TextForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("内容"), widget=forms.Textarea(attrs={"rows": 5}))


class UpdateForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("实施进展"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.ImageField(label=gettext_lazy("照片"), required=False)


class ReviseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("议题"), max_length=200)
    body = forms.CharField(label=gettext_lazy("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.CharField(label=gettext_lazy("修改原因"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回原因"), max_length=300)


def _roster(matter, body, held_on):
    """Rows of the attendance table: should-attend people with their area for the filters."""
    return list(
        selectors.should_attend(matter=matter, body=body, on=held_on).select_related(
            "household__area__parent"
        )
    )


def _record_context(request, matter) -> dict:
    """The meeting form's should-attend list for the date (and joint box) asked: the page's
    initial one (today) and the one reloaded when the date changes."""
    held_on = parse_date(request.GET.get("held_on") or "") or timezone.localdate()
    joint = (
        request.GET.get("joint") == "1"
        and matter.current_step == Step.BRANCH
        and matter.village.rules.allow_joint_branch_committees
    )
    body = selectors.meeting_body(matter.current_step, joint=joint)
    return {
        "roster": _roster(matter, body, held_on),
        "held_on": held_on,
        "joint": joint,
        "body_label": Body(body).label,
        "exemptions": body == Body.PARTY_MEMBERS,
    }


def _parse_observers(text: str) -> list[tuple[str, str]]:
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


def _ids(request, prefix):
    return [
        int(k[len(prefix) :])
        for k in request.POST
        if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]


def _choices(request, prefix="vote_"):
    votes = {}
    for key, value in request.POST.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit() and value:
            votes[int(key[len(prefix) :])] = value
    return votes


def matter_page(request, matter_id):
    matter = _matter(request, matter_id)
    can_manage = permissions.can(request.user, "matter.manage", matter.village)
    if request.GET.get("fragment") == "roster":
        return _roster_fragment(request, matter, can_manage)
    trail = selectors.matter_trail(matter)
    context = {
        "matter": matter,
        "trail": trail,
        "can_manage": can_manage,
        "steps": list(Step),
        "choices": Choice.choices,
    }
    people = _people_choices(matter)
    step = matter.current_step
    action = None
    if can_manage:
        if matter.status in (MatterStatus.DRAFT, MatterStatus.DELIBERATING) and step <= Step.PARTY:
            action = "record"
            context.update(_record_context(request, matter))
            # The attendance table's area filter, read only where a table is shown.
            context["areas"] = areas_of(matter.village)
            context["form"] = MeetingForm(
                matter=matter,
                people=people,
                initial={"held_on": context["held_on"], "joint": context["joint"]},
            )
        elif matter.status == MatterStatus.DELIBERATING and step == Step.RESOLUTION:
            action = "open_vote"
            now = timezone.localtime()
            context["form"] = OpenVoteForm(
                people=people,
                initial={
                    "held_on": now.date(),
                    "opens_at": now.replace(second=0, microsecond=0),
                    "closes_at": datetime.combine(now.date() + timedelta(days=3), time(18, 0)),
                },
            )
        elif matter.status == MatterStatus.VOTING:
            action = "voting"
            context["areas"] = areas_of(matter.village)
            meeting = selectors.vote_meeting(matter)
            rows = selectors.attendance_of(meeting)
            voted = set(meeting.participations.values_list("voter_id", flat=True))
            context.update(
                meeting=meeting,
                rows=rows,
                voted=voted,
                secret=matter.ballot_mode == BallotMode.SECRET,
                close_form=CloseVoteForm(),
                window_over=timezone.now() >= meeting.vote_closes_at,
                participation_count=len(voted),
            )
        elif matter.status == MatterStatus.RESOLVED:
            action = "publish"
            meeting = selectors.vote_meeting(matter)
            context["form"] = TextForm(
                initial={
                    "text": _("经%(body)s表决，%(title)s获得通过。%(explanation)s")
                    % {
                        "body": meeting.get_body_display(),
                        "title": matter.title,
                        "explanation": meeting.verdict.get("explanation", ""),
                    }
                }
            )
        elif matter.status in (MatterStatus.PUBLISHING, MatterStatus.RESULT_PUBLISHING):
            action = "publication"
            publication = services.open_publication(matter)
            context["publication"] = publication
            context["publication_over"] = timezone.now() >= publication.ends_at
            # Its objections are listed here with the answer forms, not again in the timeline.
            context["answering"] = publication.pk
        elif matter.status == MatterStatus.IMPLEMENTING:
            action = "implementing"
            context["update_form"] = UpdateForm()
            context["form"] = TextForm()
        elif matter.status == MatterStatus.RETURNED:
            action = "returned"
            context["form"] = ReviseForm(initial={"title": matter.title, "body": matter.body})
        if matter.can_withdraw():
            context["withdraw_form"] = ReasonForm()
    context.setdefault("answering", None)
    context["action"] = action
    context["can_print_resolution"] = can_manage and _has_result(matter)
    if can_manage:
        # The codes already issued: printing again returns them; 重新签发 replaces them.
        issued = selectors.issued_documents(matter)
        context["resolution_document"] = issued["resolution"]
        for m in trail["meetings"]:
            m["document"] = issued["meetings"].get(m["id"])
    context["can_audit"] = permissions.can(
        request.user, permissions.Action.VIEW_AUDIT, matter.village
    )
    return TemplateResponse(request, "deliberation/admin/matter.html", context)


def _roster_fragment(request, matter, can_manage):
    """The should-attend list alone, for the date the meeting form was just given."""
    recording = (
        matter.status
        in (
            MatterStatus.DRAFT,
            MatterStatus.DELIBERATING,
        )
        and matter.current_step <= Step.PARTY
    )
    if not (can_manage and recording):
        raise Http404
    context = _record_context(request, matter)
    context.update(choices=Choice.choices, areas=areas_of(matter.village))
    return TemplateResponse(request, "deliberation/admin/_record_roster.html", context)


def _back(matter, anchor=""):
    return redirect("deliberation_admin_matter", matter.pk)


def _run(request, matter, fn, success):
    try:
        fn()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return False
    messages.success(request, success)
    return True


@require_POST
def record_meeting(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    form = MeetingForm(request.POST, request.FILES, matter=matter, people=_people_choices(matter))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(matter)
    data = form.cleaned_data
    exemptions = {}
    for key, value in request.POST.items():
        if key.startswith("exempt_") and key[7:].isdigit() and value.strip():
            exemptions[int(key[7:])] = value.strip()
    _run(
        request,
        matter,
        lambda: services.meeting_record(
            actor=request.user,
            matter=matter,
            held_on=data["held_on"],
            place=data["place"],
            chair=data["chair"],
            recorder=data["recorder"],
            minutes=data["minutes"],
            present=_ids(request, "present_"),
            votes=_choices(request),
            exemptions=exemptions,
            observers=_parse_observers(data["observers"]),
            register_photo=data.get("register_photo"),
            joint=bool(data.get("joint")),
        ),
        _("会议已记录。"),
    )
    return _back(matter)


@require_POST
def open_vote(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    form = OpenVoteForm(request.POST, people=_people_choices(matter))
    if not form.is_valid():
        messages.error(
            request,
            _("请检查表单：") + "；".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
        )
        return _back(matter)
    data = form.cleaned_data
    _run(
        request,
        matter,
        lambda: services.matter_open_vote(
            actor=request.user,
            matter=matter,
            held_on=data["held_on"],
            place=data["place"],
            chair=data["chair"],
            recorder=data["recorder"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
        ),
        _("文本已冻结，表决已开始。"),
    )
    return _back(matter)


@require_POST
def hall_votes(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    households = {}
    for key, value in request.POST.items():
        if key.startswith("household_") and key[10:].isdigit() and value.strip():
            number = value.strip()
            household = Household.objects.filter(village=matter.village, number=number).first()
            if household is None:
                messages.error(request, _("户号 %s 不存在。") % number)
                return _back(matter)
            households[int(key[10:])] = household.pk
    tally = None
    if matter.ballot_mode == BallotMode.SECRET:
        try:
            tally = {c: int(request.POST.get(f"tally_{c}") or 0) for c in Choice.values}
        except ValueError:
            messages.error(request, _("票数必须是整数。"))
            return _back(matter)
    _run(
        request,
        matter,
        lambda: services.hall_votes_enter(
            actor=request.user,
            matter=matter,
            present=_ids(request, "present_"),
            households=households,
            votes=_choices(request),
            tally=tally,
        ),
        _("会场投票已登记。"),
    )
    return _back(matter)


@require_POST
def close_vote(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    form = CloseVoteForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写会议纪要。"))
        return _back(matter)
    _run(
        request,
        matter,
        lambda: services.matter_close_vote(
            actor=request.user,
            matter=matter,
            minutes=form.cleaned_data["minutes"],
            register_photo=form.cleaned_data.get("register_photo"),
        ),
        _("已计票。"),
    )
    return _back(matter)


@require_POST
def publish(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    text = request.POST.get("text", "")
    if matter.status == MatterStatus.IMPLEMENTING:
        fn = lambda: services.result_publish(actor=request.user, matter=matter, text=text)  # noqa: E731
        message = _("实施结果已公开。")
    else:
        fn = lambda: services.matter_publish(actor=request.user, matter=matter, text=text)  # noqa: E731
        message = _("决议已公开。")
    _run(request, matter, fn, message)
    return _back(matter)


@require_POST
def answer_objection(request, matter_id, objection_id):
    matter = _matter(request, matter_id)
    objection = get_object_or_404(Objection, pk=objection_id, publication__matter=matter)
    permissions.require(request.user, "objection.answer", matter.village)
    _run(
        request,
        matter,
        lambda: services.objection_answer(
            actor=request.user, objection=objection, answer=request.POST.get("answer", "")
        ),
        _("异议已答复。"),
    )
    return _back(matter)


@require_POST
def close_publication(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    _run(
        request,
        matter,
        lambda: services.publication_close(actor=request.user, matter=matter),
        _("公开期已结束。"),
    )
    return _back(matter)


@require_POST
def add_update(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    form = UpdateForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写实施进展。"))
        return _back(matter)
    _run(
        request,
        matter,
        lambda: services.implementation_add(
            actor=request.user,
            matter=matter,
            text=form.cleaned_data["text"],
            photo=form.cleaned_data.get("photo"),
        ),
        _("实施进展已登记。"),
    )
    return _back(matter)


@require_POST
def revise(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    form = ReviseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写议题、内容和修改原因。"))
        return _back(matter)
    _run(
        request,
        matter,
        lambda: services.matter_revise(actor=request.user, matter=matter, **form.cleaned_data),
        _("已形成新版本，请从党支部提议重新开始。"),
    )
    return _back(matter)


@require_POST
def withdraw(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    _run(
        request,
        matter,
        lambda: services.matter_withdraw(
            actor=request.user, matter=matter, reason=request.POST.get("reason", "")
        ),
        _("议题已撤回。"),
    )
    return _back(matter)


def trail_page(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, matter.village)
    return TemplateResponse(
        request,
        "deliberation/admin/trail.html",
        {"matter": matter, "trail": selectors.matter_trail(matter)},
    )


# --- printing (sealed PDFs, village.documents) -------------------------------------------------


# The resolution and the meeting records carry the village's seal as the village's own acts:
# its cadres issue them. The audit trail is also for those who check the village: the
# supervision committee and the township's inspector.


def _has_result(matter) -> bool:
    """A resolution can be printed once a vote has been tallied (passed or not)."""
    return any(m.step == Step.RESOLUTION and m.passed is not None for m in matter.meetings.all())


def _reissue_reason(request) -> str | None:
    """None for a print (the document already issued, if its content is unchanged); the reason
    given for a deliberate 重新签发 (refused by village.documents when blank)."""
    if "reissue" not in request.POST:
        return None
    return request.POST.get("reason", "")


def _issue(request, matter, build):
    try:
        document = build(reissue_reason=_reissue_reason(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return _back(matter)
    return documents.response(document)


@require_POST
def print_resolution(request, matter_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    if not _has_result(matter):
        messages.error(request, _("该议题还没有表决结果，不能打印决议。"))
        return _back(matter)
    return _issue(
        request,
        matter,
        lambda **kw: print_.resolution(actor=request.user, matter=matter, **kw),
    )


@require_POST
def print_meeting(request, matter_id, meeting_id):
    matter = _matter(request, matter_id)
    permissions.require(request.user, "matter.manage", matter.village)
    meeting = get_object_or_404(
        Meeting.objects.select_related("version", "chair", "recorder", "matter__village"),
        pk=meeting_id,
        matter=matter,
    )
    if meeting.status != MeetingStatus.CLOSED:
        messages.error(request, _("会议尚未结束，不能打印会议记录。"))
        return _back(matter)
    return _issue(
        request,
        matter,
        lambda **kw: print_.meeting_record(actor=request.user, meeting=meeting, **kw),
    )


def print_trail(request, matter_id):
    """A download (GET, like `GET /api/v1/matters/{id}/audit.pdf`): the inspector's and the
    supervision committee's screens stay free of forms; each download is registered."""
    matter = _matter(request, matter_id)
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, matter.village)
    return documents.response(print_.audit_trail(actor=request.user, matter=matter), inline=False)


def dashboard(request):
    if not permissions.can(request.user, "matter.view"):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "deliberation/admin/dashboard.html",
        {"rows": selectors.township_dashboard(request.user)},
    )


def suggestions(request):
    if not permissions.can(request.user, "matter.view"):
        raise PermissionDenied
    villages = permissions.visible_villages(request.user, "matter.view")
    items = (
        Suggestion.objects.filter(village__in=villages)
        .select_related("villager__household", "village", "matter")
        .order_by("status", "-created_at")[:200]
    )
    return TemplateResponse(
        request,
        "deliberation/admin/suggestions.html",
        {"items": items, "categories": Category.choices},
    )


@require_POST
def suggestion_act(request, suggestion_id):
    suggestion = get_object_or_404(
        Suggestion.objects.filter(
            village__in=permissions.visible_villages(request.user, "matter.view")
        ),
        pk=suggestion_id,
    )
    permissions.require(request.user, "suggestion.answer", suggestion.village)
    try:
        if request.POST.get("adopt"):
            matter = services.suggestion_adopt(
                actor=request.user,
                suggestion=suggestion,
                title=request.POST.get("title", ""),
                body=suggestion.text,
                category=request.POST.get("category", ""),  # chosen, never defaulted
            )
            messages.success(request, _("已转为议题。"))
            return redirect("deliberation_admin_matter", matter.pk)
        services.suggestion_answer(
            actor=request.user, suggestion=suggestion, answer=request.POST.get("answer", "")
        )
        messages.success(request, _("已答复。"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("deliberation_admin_suggestions")


def meeting_attendance(request, meeting_id):
    meeting = get_object_or_404(
        Meeting.objects.select_related("matter__village__rules"), pk=meeting_id
    )
    # The same check as _matter, without loading the matter's whole timeline.
    if not permissions.can(request.user, "matter.view", meeting.matter.village):
        raise Http404
    rows = selectors.attendance_of(meeting)
    return TemplateResponse(
        request,
        "deliberation/admin/attendance.html",
        {
            "meeting": meeting,
            "rows": rows,
            # A closed meeting shows its stored tally; an open one, who counts so far.
            "present_count": sum(1 for a in rows if a.counts_present),
        },
    )
