"""Admin screens that are not model listings: roster import/export, activation slips, audit."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import audit, log_actions, permissions, selectors, services
from . import roster as roster_io
from .models import AuditEvent, Household, HouseholdProxy, Notification, Villager
from .permissions import Action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


class RosterImportForm(forms.Form):
    village = forms.ModelChoiceField(queryset=None, label=gettext_lazy("村"))
    file = forms.FileField(
        label=gettext_lazy("花名册文件（.xlsx）"),
        # An empty file reaches the roster reader, whose message says what to do instead.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = permissions.visible_villages(user, Action.IMPORT_ROSTER)
        self.fields["village"].queryset = villages
        if villages.count() == 1:
            self.fields["village"].initial = villages.first()


@require_http_methods(["GET", "POST"])
def roster(request):
    permissions.require(request.user, Action.EXPORT_ROSTER)
    can_import = permissions.can(request.user, Action.IMPORT_ROSTER)
    form = RosterImportForm(request.POST or None, request.FILES or None, user=request.user)
    result = None
    file_error = None
    if request.method == "POST":
        if not can_import:
            permissions.require(request.user, Action.IMPORT_ROSTER)
        if form.is_valid():
            village = form.cleaned_data["village"]
            upload = form.cleaned_data["file"]
            if upload.size > roster_io.MAX_BYTES:
                file_error = _("文件超过 5 MB，请分批导入。")
            else:
                try:
                    result = roster_io.roster_import(
                        actor=request.user, village=village, data=upload.read()
                    )
                except roster_io.RosterFileError as exc:
                    file_error = str(exc)
                if result is not None and result.ok:
                    messages.success(
                        request,
                        _("已导入 %(n)d 名村民（新建 %(h)d 户）。")
                        % {"n": result.created, "h": result.households_created},
                    )
                    return redirect("village_roster")
    refused = request.method == "POST" and not form.is_valid()
    status = 400 if (refused or file_error or (result and not result.ok)) else 200
    return TemplateResponse(
        request,
        "village/admin/roster.html",
        {
            "form": form,
            "can_import": can_import,
            "result": result,
            "file_error": file_error,
            "columns": roster_io.COLUMNS,
            "villages": permissions.visible_villages(request.user, Action.EXPORT_ROSTER),
        },
        status=status,
    )


def roster_template(request):
    permissions.require(request.user, Action.EXPORT_ROSTER)
    return _xlsx(roster_io.template_workbook(), "roster-template.xlsx")


def roster_export(request, village_id):
    village = get_object_or_404(
        permissions.visible_villages(request.user, Action.EXPORT_ROSTER), pk=village_id
    )
    return _xlsx(
        roster_io.roster_export(user=request.user, village=village), f"roster-{village.code}.xlsx"
    )


@require_http_methods(["GET", "POST"])
def activation_issue(request, villager_id):
    villager = get_object_or_404(
        permissions.scope(request.user, Action.VIEW_ROSTER, Villager.objects.all()).select_related(
            "village", "household"
        ),
        pk=villager_id,
    )
    permissions.require(request.user, Action.ISSUE_ACTIVATION, villager)
    context = {"villager": villager, "code": None, "error": None}
    if request.method == "POST":
        try:
            row, code = services.activation_code_issue(actor=request.user, villager=villager)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            context.update(
                code=code, row=row, activate_url=request.build_absolute_uri("/activate/")
            )
    return TemplateResponse(request, "village/admin/activation.html", context)


@require_http_methods(["POST"])
def id_number_reveal(request, villager_id):
    """Show one villager's whole ID number once, after writing the reveal to the audit chain."""
    villager = get_object_or_404(
        permissions.scope(request.user, Action.VIEW_ROSTER, Villager.objects.all()).select_related(
            "village", "household"
        ),
        pk=villager_id,
    )
    id_number = services.villager_id_number_reveal(actor=request.user, villager=villager)
    response = TemplateResponse(
        request, "village/admin/id_number.html", {"villager": villager, "id_number": id_number}
    )
    response["Cache-Control"] = "no-store"
    return response


# verify_chain's reasons are English for `verify_audit` and its log readers; this page says the
# same in the reader's language. Matched on the wording in village/audit.py.
CHAIN_REASONS = [
    (
        r"row seq (?P<seq>\d+) is missing \(deleted\); "
        r"the chain resumes at row id=(?P<id>\d+) seq=(?P<next>\d+)",
        gettext_lazy("第 %(seq)s 条记录缺失（被删除）；链从第 %(next)s 条（id=%(id)s）接续。"),
    ),
    (
        r"duplicate or reordered sequence number",
        gettext_lazy("序号重复或顺序被调换（有记录被插入或调换）。"),
    ),
    (r"inserted row: the next row links past it", gettext_lazy("插入的记录：下一条越过它链接。")),
    (
        r"previous-hash link broken",
        gettext_lazy("与上一条的哈希链接断开：这一条或上一条被插入、替换或调换。"),
    ),
    (r"content does not match its hash", gettext_lazy("内容与哈希不符（被修改）。")),
    (r"the chain's head record is missing", gettext_lazy("链头记录缺失（被删除）。")),
    (
        r"chain ends at seq (?P<last>\d+) but its head says (?P<head>\d+)",
        gettext_lazy("链止于第 %(last)s 条，链头却记为第 %(head)s 条：末尾的记录被删除。"),
    ),
    (
        r"row beyond the chain head \(head says seq (?P<head>\d+)\)",
        gettext_lazy("超出链头的记录（链头记为第 %(head)s 条）：被插入。"),
    ),
    (
        r"last row does not match the chain head",
        gettext_lazy("最后一条与链头不符（被修改或替换）。"),
    ),
    (
        r"the head's seal does not match",
        gettext_lazy("链头的密封与链不符：没有密钥的人截短了链并回拨链头，或改写了链并重算哈希。"),
    ),
    (r"the chain's head is not sealed", gettext_lazy("链头没有密封。")),
    (
        r"differs from the copy of this row's hash held in the (?P<where>.+?) \(",
        gettext_lazy("与%(where)s保存的这一条的哈希不符：链在这一条或之前被改写并重算了哈希。"),
    ),
    (
        r"chain ends at seq (?P<last>\d+) but the (?P<where>.+?) holds seq (?P<held>\d+)",
        gettext_lazy("链止于第 %(last)s 条，%(where)s却保存着第 %(held)s 条：链被截短。"),
    ),
    (
        r"the township chain no longer holds the anchor of seq (?P<seq>\d+)",
        gettext_lazy("乡镇审计链中已没有第 %(seq)s 条的锚定记录：乡镇审计链被截短或删除。"),
    ),
]
# Where a copy of a head is held, as the reasons above name it.
WITNESSES = [
    (r"township anchor (?P<ref>\S+)", gettext_lazy("乡镇审计链锚定记录 %(ref)s ")),
    (r"document (?P<ref>\S+)", gettext_lazy("文书 %(ref)s ")),
]


def _witness_text(where: str) -> str:
    for pattern, message in WITNESSES:
        match = re.fullmatch(pattern, where)
        if match:
            return message % match.groupdict()
    return where


def chain_problem_text(problem: audit.ChainProblem) -> str:
    """Where the chain breaks and why, in the reader's language."""
    for pattern, message in CHAIN_REASONS:
        match = re.match(pattern, problem.reason)
        if match:
            found = match.groupdict()
            if "where" in found:
                found["where"] = _witness_text(found["where"])
            reason = message % found
            break
    else:
        reason = problem.reason  # a reason not listed above: as verify_audit words it
    if problem.row_id:
        return _("第 %(seq)s 条（id=%(id)s）：%(reason)s") % {
            "seq": problem.seq,
            "id": problem.row_id,
            "reason": reason,
        }
    return _("第 %(seq)s 条：%(reason)s") % {"seq": problem.seq, "reason": reason}


def _actor_label(event: AuditEvent) -> str:
    """A person's name: the villager's, else the account's full name (marked when a 亲情账号
    acted), else the login kept in the chain (an account since deleted, or the system)."""
    actor = event.actor
    if actor is None:
        return _("系统") if event.actor_name == "system" else event.actor_name
    villager = getattr(actor, "villager", None)
    if villager is not None:
        return villager.name
    name = actor.get_full_name() or actor.get_username()
    if "proxy" in (event.payload or {}):
        # An act of a 亲情账号 in a household's name says so wherever the chain is shown.
        return _("%(name)s（亲情账号，代户办理）") % {"name": name}
    return name


def audit_overview(request):
    permissions.require(request.user, Action.VIEW_AUDIT)
    rows = []
    for village in permissions.visible_villages(request.user, Action.VIEW_AUDIT):
        key = audit.chain_key(village=village)
        problem = audit.verify_chain(key)
        head = audit.head_of(village)
        rows.append(
            {
                "village": village,
                "problem": chain_problem_text(problem) if problem else None,
                "head": head,
            }
        )
    recent = list(
        permissions.scope(request.user, Action.VIEW_AUDIT, AuditEvent.objects.all())
        # The actor's person joined in: names without a query per row.
        .select_related("actor__villager")
        .order_by("-created_at", "-seq")[:50]
    )
    for event in recent:
        # The registered name of the action (village.log_actions), never its key.
        event.action_label = str(log_actions.ACTIONS.get(event.action, event.action))
        event.actor_label = _actor_label(event)
    return TemplateResponse(request, "village/admin/audit.html", {"rows": rows, "recent": recent})


def outbox(request):
    """消息发送: each message of the user's villages, how far it got, and what failed."""
    villages = permissions.visible_villages(request.user, Action.VIEW_ROSTER)
    if not villages.exists():
        raise PermissionDenied
    return TemplateResponse(
        request, "village/admin/outbox.html", {"rows": selectors.outbox_summary(villages)}
    )


def outbox_problems(request, notification_id: int):
    notification = get_object_or_404(
        Notification.objects.select_related("village"), pk=notification_id
    )
    if not permissions.can(request.user, Action.VIEW_ROSTER, notification.village):
        raise Http404
    return TemplateResponse(
        request,
        "village/admin/outbox_problems.html",
        {"notification": notification, "rows": selectors.outbox_problems(notification)},
    )


class ProxyBindForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    phone = forms.CharField(
        label=gettext_lazy("手机号（登录用）"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    relation = forms.CharField(
        label=gettext_lazy("与户主关系"),
        max_length=20,
        help_text=gettext_lazy("例如：女儿、儿子、孙子"),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("最长三年；到期后自动失效，可以再绑定。"),
    )


@require_http_methods(["GET", "POST"])
def household_proxies(request, household_id):
    """亲情账号 of one household: bind a family member's phone until a date, or end a binding."""
    household = get_object_or_404(
        permissions.scope(request.user, Action.VIEW_ROSTER, Household.objects.all()).select_related(
            "village", "head"
        ),
        pk=household_id,
    )
    permissions.require(request.user, Action.ISSUE_ACTIVATION, household.village)
    form = ProxyBindForm(request.POST if request.POST.get("bind") else None)
    context = {"household": household, "form": form, "code": None, "bound": None}
    if request.method == "POST" and request.POST.get("end"):
        ending = request.POST["end"]
        proxy = get_object_or_404(
            HouseholdProxy, pk=int(ending) if ending.isdigit() else None, household=household
        )
        try:
            services.proxy_end(actor=request.user, proxy=proxy, reason=request.POST.get("reason"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已结束 %s 的亲情账号。") % proxy.name)
        return redirect("village_household_proxies", household.pk)
    if request.method == "POST" and form.is_valid():
        try:
            proxy, code = services.proxy_bind(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            context.update(
                bound=proxy, code=code, activate_url=request.build_absolute_uri("/activate/")
            )
            context["form"] = ProxyBindForm()
    context["proxies"] = household.proxies.select_related("user").order_by("-bound_at", "-pk")
    context["today"] = timezone.localdate()
    status = 400 if request.method == "POST" and form.errors else 200
    return TemplateResponse(request, "village/admin/proxies.html", context, status=status)


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)
