"""Grid pages: 随手拍 for villagers (a phone form), the events list (own, the officer's areas,
the village's for cadres), one event with its trail and the steps the reader may take, and the
village's events by area and status this month."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from points.permissions import PointsAction
from village import permissions
from village.models import Grid, GridLevel, Village

from . import selectors, services
from .models import EventCategory, EventStatus, GridEvent
from .permissions import GridAction
from .services.events import may_handle


def add_errors(form, exc: ValidationError) -> None:
    """A service's refusal on the form: each message on its field where the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def village_for(request) -> Village:
    """The village whose events the page shows: `?village=` among those the user sees, else
    their household's (or their only) village."""
    visible = permissions.visible_villages(request.user)
    wanted = request.GET.get("village") or request.POST.get("village")
    if wanted and str(wanted).isascii() and str(wanted).isdigit():
        village = visible.filter(pk=int(wanted)).first()
        if village is None:
            raise Http404
        return village
    household = permissions.household_of(request.user)
    if household is not None:
        return household.village
    village = visible.order_by("name").first()
    if village is None:
        raise PermissionDenied
    return village


class ReportForm(forms.Form):
    photo = forms.FileField(
        label=gettext_lazy("拍照"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    category = forms.ChoiceField(label=gettext_lazy("类别"), choices=EventCategory.choices)
    urgent = forms.BooleanField(label=gettext_lazy("紧急（有安全隐患）"), required=False)
    area = forms.ModelChoiceField(
        label=gettext_lazy("所在片区"), queryset=Grid.objects.none(), required=False
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    text = forms.CharField(
        label=gettext_lazy("看到的情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )
    latitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    longitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args, village: Village, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Grid.objects.filter(
            village=village, level=GridLevel.AREA
        ).order_by("name")
        self.fields["area"].empty_label = _("我家所在片区")


@login_required
def event_list(request):
    village = village_for(request)
    events = selectors.events_for(request.user, village)
    status = request.GET.get("status")
    if status in EventStatus.values:
        events = events.filter(status=status)
    return render(
        request,
        "grid/event_list.html",
        {
            "village": village,
            "events": list(events[: selectors.SHOWN]),
            "statuses": EventStatus.choices,
            "status": status,
            "may_report": permissions.can(request.user, GridAction.EVENT_REPORT, village),
            # Officers and cadres: the page for recording without signal.
            "may_handle": permissions.can(request.user, GridAction.EVENT_HANDLE, village),
            "now": timezone.now(),
        },
    )


@login_required
def event_new(request):
    village = village_for(request)
    permissions.require(request.user, GridAction.EVENT_REPORT, village)
    form = ReportForm(request.POST or None, request.FILES or None, village=village)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.event_report(
                actor=request.user,
                village=village,
                category=data["category"],
                text=data["text"],
                place=data["place"],
                photo=data.get("photo"),
                urgent=data["urgent"],
                area=data["area"],
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                idempotency_key=data.get("idempotency_key"),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已上报，网格员会尽快处理。"))
            return redirect("gridwork:event", event.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "grid/event_new.html", {"form": form, "village": village}, status=status)


def _actions(user, event: GridEvent) -> dict:
    own, _proxy = permissions.in_name_of(user, event.village)
    is_reporter = own is not None and event.reporter_id == own.pk
    handler = may_handle(user, event)
    cadre = handler and permissions.can(user, PointsAction.REVIEW, event.village)
    return {
        "may_accept": handler and event.status == EventStatus.REPORTED,
        "may_handle": handler and event.is_open(),
        "may_rate": is_reporter and event.status == EventStatus.HANDLED,
        "may_link": handler,
        "may_reward": cadre
        and event.reporter_id is not None
        and event.status in (EventStatus.HANDLED, EventStatus.CONFIRMED),
    }


@login_required
def event_detail(request, event_id: int):
    event = selectors.event_for(request.user, event_id)
    return render(
        request,
        "grid/event_detail.html",
        {
            "event": event,
            "level": event.level_at(timezone.now()),
            "stars": range(5, 0, -1),
            **_actions(request.user, event),
        },
    )


def _step(request, event_id: int, step, done: str, **fields):
    event = selectors.event_for(request.user, event_id)
    try:
        step(actor=request.user, event=event, **fields)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("gridwork:event", event.pk)
    messages.success(request, done)
    return redirect("gridwork:event", event.pk)


@login_required
@require_POST
def event_accept(request, event_id: int):
    return _step(request, event_id, services.event_accept, _("已受理。"))


@login_required
@require_POST
def event_handle(request, event_id: int):
    return _step(
        request,
        event_id,
        services.event_handle,
        _("已办结，已通知上报的村民。"),
        note=request.POST.get("note", ""),
        after_photo=request.FILES.get("after_photo"),
    )


@login_required
@require_POST
def event_confirm(request, event_id: int):
    if request.POST.get("reopen"):
        return _step(
            request,
            event_id,
            services.event_reopen,
            _("已退回网格员重新办理。"),
            reason=request.POST.get("note", ""),
        )
    return _step(
        request,
        event_id,
        services.event_confirm,
        _("谢谢您的评价。"),
        rating=request.POST.get("rating"),
        note=request.POST.get("note", ""),
    )


@login_required
@require_POST
def event_reward(request, event_id: int):
    from points import selectors as points_selectors

    event = selectors.event_for(request.user, event_id)
    day = timezone.localdate(event.reported_at)
    rule = points_selectors.rules_on(event.village, day).filter(code=request.POST.get("rule"))
    rule = rule.first()
    if rule is None:
        messages.error(request, _("没有这条积分细则。"))
        return redirect("gridwork:event", event.pk)
    return _step(request, event_id, services.event_reward, _("已建议积分，待两委审核。"), rule=rule)


@login_required
@require_POST
def event_link(request, event_id: int):
    from deliberation.models import Suggestion

    event = selectors.event_for(request.user, event_id)
    number = request.POST.get("suggestion", "")
    saying = Suggestion.objects.filter(
        pk=int(number) if number.isascii() and number.isdigit() else None,
        village_id=event.village_id,
    ).first()
    if saying is None:
        messages.error(request, _("本村没有这条村民说事。"))
        return redirect("gridwork:event", event.pk)
    return _step(request, event_id, services.event_link, _("已关联村民说事。"), suggestion=saying)


@login_required
def event_summary(request, village_id: int):
    village = get_object_or_404(permissions.visible_villages(request.user), pk=village_id)
    rows = selectors.counts_by_area(village, timezone.localdate())
    return render(
        request,
        "grid/event_summary.html",
        {
            "village": village,
            "rows": rows,
            "total": selectors.village_totals(rows),
            "month": timezone.localdate(),
        },
    )
