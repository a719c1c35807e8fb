"""Cadre and inspector screens in the Wagtail admin ("议事" menu): a matter's page with its steps
as a timeline and the one action the current step allows; the township dashboard; the trail."""

from datetime import datetime, time, timedelta
from html import escape
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from village import documents, permissions
from village.documents import batch as batch_runner
from village.models import BatchStatus, DocumentBatch, DocumentKind, Stance, Villager
from village.selectors import areas_of

from . import documents as print_
from . import selectors, services, tasks
from .admin_forms import UpdateForm
from .models import (
    BallotMode,
    Body,
    Category,
    Choice,
    Matter,
    MatterStatus,
    Meeting,
    MeetingStatus,
    Participation,
    Step,
    Suggestion,
)
from .permissions import DeliberationAction
from .services.common import MINUTES_REQUIRED
from .trail import matter_trail


def matter_or_404(request, matter_id) -> Matter:
    """The matter with its timeline (selectors.matter_detail), if the user may view it."""
    try:
        matter = selectors.matter_detail(matter_id)
    except Matter.DoesNotExist as exc:
        raise Http404 from exc
    if not permissions.can(request.user, DeliberationAction.MATTER_VIEW, matter.village):
        raise Http404
    return matter


def people_choices(matter):
    """The villagers a form may name as chair or recorder."""
    return Villager.objects.filter(village=matter.village).order_by("name")


class PeopleSelect(forms.Select):
    """The chair and recorder choices: every villager of the village (1,105 in the demo) by
    name, read as (id, name) pairs and written directly — a template render and a model
    instance per option made the meeting form slow. Every value is escaped here."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        field = self.choices.field
        rows = [] if field.empty_label is None else [("", field.empty_label)]
        rows += self.choices.queryset.values_list("pk", "name")
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in rows
        )
        final = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        # Safe: the attributes come from flatatt, each key and name was escaped above.
        return mark_safe(f"<select{final}>{options}</select>")


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
        label=gettext_lazy("主持人"),
        queryset=Villager.objects.none(),
        required=False,
        widget=PeopleSelect,
    )
    recorder = forms.ModelChoiceField(
        label=gettext_lazy("记录人"),
        queryset=Villager.objects.none(),
        required=False,
        widget=PeopleSelect,
    )
    minutes = forms.CharField(
        label=gettext_lazy("会议纪要"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("照会议记录本填写讨论情况和表决结果；没有纪要不能保存。"),
        error_messages={"required": MINUTES_REQUIRED},
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


class OpenVoteForm(forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("会议日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format=HTML_DATE),
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    chair = forms.ModelChoiceField(
        label=gettext_lazy("主持人"),
        queryset=Villager.objects.none(),
        required=False,
        widget=PeopleSelect,
    )
    recorder = forms.ModelChoiceField(
        label=gettext_lazy("记录人"),
        queryset=Villager.objects.none(),
        required=False,
        widget=PeopleSelect,
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


# The vote's should-attend list (921 adults in the demo village) is shown a page at a time;
# "select all matching" acts on every page of the filtered list (admin_actions._hall_data).
VOTERS_PER_PAGE = 100


def roster_filter(params) -> dict:
    """The vote list's filter from a GET or POST: `query` (name or household number) and
    `area` (a 片区 id, or None)."""
    area = params.get("area") or ""
    return {
        "query": (params.get("q") or "").strip()[:50],
        "area": int(area) if area.isascii() and area.isdigit() else None,
    }


def vote_roster(request, meeting) -> dict:
    """One page of the vote's should-attend list, filtered as asked, each row with `voted`
    (online or in the hall); how many rows match, and how many of them may still be ticked."""
    wanted = roster_filter(request.GET)
    voted = Participation.objects.filter(meeting=meeting, voter_id=OuterRef("villager_id"))
    matching = selectors.attendance_matching(meeting, **wanted).annotate(voted=Exists(voted))
    counts = matching.aggregate(
        total=Count("pk"),
        eligible=Count("pk", filter=Q(present=False)),
        unvoted=Count("pk", filter=Q(present=False, voted=False)),
    )
    pages = max(1, -(-counts["total"] // VOTERS_PER_PAGE))
    number = request.GET.get("page") or ""
    number = min(max(int(number), 1), pages) if number.isascii() and number.isdigit() else 1
    start = (number - 1) * VOTERS_PER_PAGE
    rows = list(
        matching.select_related("villager__household__area").order_by(
            "villager__household__number", "villager_id"
        )[start : start + VOTERS_PER_PAGE]
    )
    return {
        "rows": rows,
        "voted": {row.villager_id for row in rows if row.voted},
        "roster_query": wanted["query"],
        "roster_area": wanted["area"],
        "roster_counts": counts,
        "roster_page": number,
        "roster_pages": range(1, pages + 1) if pages > 1 else [],
    }


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


def supervision_context(request, matter, trail) -> dict:
    """The supervision committee's form on the matter's page: an opinion on the matter, or a
    countersign or dispute of a counted meeting's tally."""
    if not permissions.can(request.user, permissions.Action.SUPERVISE, matter.village):
        return {"can_supervise": False}
    subjects = [("matter", _("议题（监督意见）"))] + [
        (m["id"], _("%(step)s（%(day)s）计票") % {"step": m["step_label"], "day": m["held_on"]})
        for m in trail["meetings"]
        if m["status"] == "closed"
    ]
    return {
        "can_supervise": True,
        "supervision_subjects": subjects,
        "supervision_stances": Stance.choices,
    }


def matter_page(request, matter_id):
    matter = matter_or_404(request, matter_id)
    can_manage = permissions.can(request.user, DeliberationAction.MATTER_MANAGE, matter.village)
    if request.GET.get("fragment") == "roster":
        return _roster_fragment(request, matter, can_manage)
    trail = matter_trail(matter)
    context = {
        "matter": matter,
        "trail": trail,
        "can_manage": can_manage,
        **supervision_context(request, matter, trail),
        "can_advise": matter.status in services.ADVISING
        and permissions.can(request.user, DeliberationAction.ADVISE, matter.village),
        "can_plan": can_manage and matter.status in services.PLANNING,
        "today": timezone.localdate(),
        "steps": list(Step),
        "choices": Choice.choices,
    }
    people = people_choices(matter)
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
            context.update(
                vote_roster(request, meeting),
                meeting=meeting,
                secret=matter.ballot_mode == BallotMode.SECRET,
                close_form=CloseVoteForm(),
                window_over=timezone.now() >= meeting.vote_closes_at,
                participation_count=meeting.participations.count(),
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
            publication = selectors.open_publication(matter)
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


def back_to_matter(matter, params=None):
    """Back to the matter's admin page (after a POST); with `params` (the vote list's filter
    and page, as posted), to the same page of the list."""
    response = redirect("deliberation_admin_matter", matter.pk)
    kept = {k: params[k] for k in ("q", "area", "page") if params and params.get(k)}
    if kept:
        response["Location"] += "?" + urlencode(kept)
    return response


def trail_page(request, matter_id):
    matter = matter_or_404(request, matter_id)
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, matter.village)
    return TemplateResponse(
        request,
        "deliberation/admin/trail.html",
        {"matter": matter, "trail": matter_trail(matter), "today": timezone.localdate()},
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
        return back_to_matter(matter)
    return documents.response(document)


@require_POST
def print_resolution(request, matter_id):
    matter = matter_or_404(request, matter_id)
    permissions.require(request.user, DeliberationAction.MATTER_MANAGE, matter.village)
    if not _has_result(matter):
        messages.error(request, _("该议题还没有表决结果，不能打印决议。"))
        return back_to_matter(matter)
    return _issue(
        request,
        matter,
        lambda **kw: print_.resolution(actor=request.user, matter=matter, **kw),
    )


@require_POST
def print_meeting(request, matter_id, meeting_id):
    matter = matter_or_404(request, matter_id)
    permissions.require(request.user, DeliberationAction.MATTER_MANAGE, matter.village)
    meeting = get_object_or_404(
        Meeting.objects.select_related("version", "chair", "recorder", "matter__village"),
        pk=meeting_id,
        matter=matter,
    )
    if meeting.status != MeetingStatus.CLOSED:
        messages.error(request, _("会议尚未结束，不能打印会议记录。"))
        return back_to_matter(matter)
    return _issue(
        request,
        matter,
        lambda **kw: print_.meeting_record(actor=request.user, meeting=meeting, **kw),
    )


def print_trail(request, matter_id):
    """A download (GET, like `GET /api/v1/matters/{id}/audit.pdf`): the inspector's and the
    supervision committee's screens stay free of forms; each download is registered. A long
    trail is made in the background: the page that waits for it links to it when done."""
    matter = matter_or_404(request, matter_id)
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, matter.village)
    if tasks.audit_pdf_in_background(matter):
        batch = tasks.audit_trail_start(actor=request.user, matter=matter)
        return redirect("deliberation_admin_print_trail_batch", matter.pk, batch.pk)
    return documents.response(print_.audit_trail(actor=request.user, matter=matter), inline=False)


def print_trail_batch(request, matter_id, batch_id):
    """The audit trail PDF being made in the background: "正在生成…" (the page refreshes
    itself), then its download (`?download=1`)."""
    matter = matter_or_404(request, matter_id)
    permissions.require(request.user, permissions.Action.VIEW_AUDIT, matter.village)
    batch = get_object_or_404(
        DocumentBatch.objects.select_related("document"),
        pk=batch_id,
        village=matter.village,
        kind=DocumentKind.AUDIT_TRAIL,
        params__matter=matter.pk,
    )
    done = batch.status == BatchStatus.DONE
    if done and request.GET.get("download"):
        return documents.response(batch.document, inline=False)
    stale = batch.status in (BatchStatus.QUEUED, BatchStatus.RUNNING) and (
        batch.requested_at < timezone.now() - batch_runner.STALE_AFTER
    )
    return TemplateResponse(
        request,
        "deliberation/admin/trail_batch.html",
        {"matter": matter, "batch": batch, "done": done, "stale": stale},
    )


def suggestions(request):
    if not permissions.can(request.user, DeliberationAction.MATTER_VIEW):
        raise PermissionDenied
    villages = permissions.visible_villages(request.user, DeliberationAction.MATTER_VIEW)
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
            village__in=permissions.visible_villages(request.user, DeliberationAction.MATTER_VIEW)
        ),
        pk=suggestion_id,
    )
    permissions.require(request.user, DeliberationAction.SUGGESTION_ANSWER, suggestion.village)
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
    meeting = get_object_or_404(Meeting.objects.select_related("matter__village"), pk=meeting_id)
    # The same check as matter_or_404, without loading the matter's whole timeline.
    if not permissions.can(request.user, DeliberationAction.MATTER_VIEW, meeting.matter.village):
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
